//! `verified-approvers.py`: who wrote or pushed a change never verifies it.
//! Inputs are API answers saved to files, as the workflows save them.

use super::*;

const HEAD: &str = "1111111111111111111111111111111111111111";
const MIDDLE: &str = "2222222222222222222222222222222222222222";
const OLD: &str = "0000000000000000000000000000000000000000";
const REPO: &str = "acme/access";

/// The pull request acme/access#42 from branch `feature`, merged.
fn pull() -> Value {
    json!({
        "number": 42,
        "user": {"login": "Author", "type": "User"},
        "head": {"sha": HEAD, "ref": "feature", "repo": {"full_name": REPO}},
        "base": {"ref": "main", "repo": {"full_name": REPO}},
        "commits": 2,
        "merged": true,
        "merged_at": "2026-01-01T12:00:00Z",
    })
}

fn commit(sha: &str, author: Option<&str>, email: &str, message: &str) -> Value {
    json!({
        "sha": sha,
        "author": author.map(|login| json!({"login": login, "type": "User"})),
        "committer": {"login": "web-flow", "type": "User"},
        "commit": {
            "author": {"name": "Someone", "email": email},
            "committer": {"name": "GitHub", "email": "noreply@github.com"},
            "message": message,
        },
    })
}

fn push(login: &str, after: &str, at: &str) -> Value {
    json!({"activity_type": "push", "after": after, "ref": "refs/heads/feature", "actor": {"login": login}, "timestamp": at})
}

fn review(id: u64, login: &str, state: &str, commit: &str, at: &str) -> Value {
    let kind = if login.ends_with("[bot]") {
        "Bot"
    } else {
        "User"
    };
    json!({"id": id, "user": {"login": login, "type": kind}, "state": state, "commit_id": commit, "submitted_at": at})
}

fn approve(id: u64, login: &str) -> Value {
    review(
        id,
        login,
        "APPROVED",
        HEAD,
        &format!("2026-01-01T11:{id:02}:00Z"),
    )
}

/// Files for one case, with defaults: the author wrote both commits and
/// pushed both.
struct Case {
    scratch: Scratch,
}

impl Case {
    fn new(name: &str) -> Self {
        let case = Self {
            scratch: Scratch::new(&format!("approvals-{name}")),
        };
        case.mapping(&json!({
            "Alice": "alice@example.com",
            "bob": "bob@example.com",
            "bob-alt": "BOB@example.com",
            "carol": "carol@example.com",
            "dave": "dave@example.com",
            "erin": "erin@example.com",
            "frank": "frank@example.com",
            "author": "author@example.com",
            "pusher": "pusher@example.com",
            "ci-bot[bot]": "bot@example.com",
        }));
        case.pull(&pull());
        case.commits(&json!([
            commit(
                MIDDLE,
                Some("author"),
                "author@example.com",
                "Grant alice read-only"
            ),
            commit(HEAD, Some("author"), "author@example.com", "Fix the reason"),
        ]));
        case.activity(&json!([
            push("author", MIDDLE, "2026-01-01T09:00:00Z"),
            push("author", HEAD, "2026-01-01T10:00:00Z")
        ]));
        case
    }

    fn mapping(&self, value: &Value) {
        self.scratch.put_json("mapping.json", value);
    }
    fn pull(&self, value: &Value) {
        self.scratch.put_json("pull.json", value);
    }
    fn commits(&self, value: &Value) {
        self.scratch.put_json("commits.json", value);
    }
    fn activity(&self, value: &Value) {
        self.scratch.put_json("activity.json", value);
    }

    fn run(&self, args: &[&str]) -> Run {
        script("verified-approvers.py", args, &self.scratch.dir)
    }

    /// The apply's call, with `reviews`.
    fn verify(&self, reviews: &Value) -> Run {
        self.scratch.put_json("reviews.json", reviews);
        self.run(&[
            "--pull",
            "pull.json",
            "--commits",
            "commits.json",
            "--reviews",
            "reviews.json",
            "--activity",
            "activity.json",
            "--mapping",
            "mapping.json",
        ])
    }
}

/// The value of `NAME=` in the script's output.
fn var<'a>(run: &'a Run, name: &str) -> &'a str {
    assert_eq!(run.code, 0, "{run:?}");
    run.stdout
        .lines()
        .find_map(|l| l.strip_prefix(&format!("{name}=")))
        .unwrap_or_else(|| panic!("no {name} in {:?}", run.stdout))
}

#[test]
fn approval_script_counts_only_latest_approvals_of_the_head_by_others() {
    let case = Case::new("rules");
    case.activity(&json!([
        push("author", MIDDLE, "2026-01-01T09:00:00Z"),
        push("Pusher", HEAD, "2026-01-01T10:00:00Z")
    ]));
    let run = case.verify(&json!([
        // Latest review wins: alice approved, then requested changes.
        review(1, "alice", "APPROVED", HEAD, "2026-01-01T10:01:00Z"),
        review(
            2,
            "Alice",
            "CHANGES_REQUESTED",
            HEAD,
            "2026-01-01T10:02:00Z"
        ),
        // bob requested changes, then approved.
        review(3, "bob", "CHANGES_REQUESTED", HEAD, "2026-01-01T10:01:00Z"),
        review(4, "bob", "APPROVED", HEAD, "2026-01-01T10:03:00Z"),
        // A later plain comment leaves carol's approval standing.
        review(5, "carol", "APPROVED", HEAD, "2026-01-01T10:01:00Z"),
        review(6, "carol", "COMMENTED", HEAD, "2026-01-01T10:05:00Z"),
        // Not approvals.
        review(7, "dave", "COMMENTED", HEAD, "2026-01-01T10:01:00Z"),
        review(8, "erin", "DISMISSED", HEAD, "2026-01-01T10:01:00Z"),
        // An approval of an earlier commit does not cover the merged one.
        review(9, "frank", "APPROVED", OLD, "2026-01-01T09:30:00Z"),
        // The author and the pusher never count (logins in any case).
        review(10, "AUTHOR", "APPROVED", HEAD, "2026-01-01T10:01:00Z"),
        review(11, "pusher", "APPROVED", HEAD, "2026-01-01T10:01:00Z"),
        // Bots and logins missing from the mapping do not count.
        review(12, "ci-bot[bot]", "APPROVED", HEAD, "2026-01-01T10:01:00Z"),
        review(13, "grace", "APPROVED", HEAD, "2026-01-01T10:01:00Z"),
    ]));
    assert_eq!(
        run.stdout,
        "JIT_CHANGE_REF=acme/access#42\nJIT_CHANGE_AUTHOR=author@example.com,pusher@example.com\nJIT_VERIFIED_APPROVERS=bob@example.com,carol@example.com\n"
    );
    for explained in [
        "frank approved 000000000000, not the head 111111111111",
        "AUTHOR wrote or pushed the change (Author opened the pull request)",
        "pusher wrote or pushed the change (Pusher pushed 111111111111 to the branch)",
        "ci-bot[bot] is a bot",
        "::warning::grace approved but is not in the approver mapping",
    ] {
        assert!(
            run.stderr.contains(explained),
            "missing `{explained}` in:\n{}",
            run.stderr
        );
    }
}

#[test]
fn approval_script_excludes_every_pusher_not_only_the_last() {
    // The case: Bob pushes a commit, Alice pushes the last one, Bob
    // approves. Before, only the last pusher was excluded and Bob counted.
    let case = Case::new("pushers");
    case.commits(&json!([
        commit(
            MIDDLE,
            None,
            "unlinked@example.org",
            "Grant bob emergency admin"
        ),
        commit(HEAD, None, "unlinked@example.org", "Tidy"),
    ]));
    case.activity(&json!([
        push("bob", MIDDLE, "2026-01-01T09:00:00Z"),
        push("alice", HEAD, "2026-01-01T10:00:00Z"),
        // Another branch's pushes do not count.
        {"activity_type": "push", "after": OLD, "ref": "refs/heads/other", "actor": {"login": "carol"}},
    ]));
    let run = case.verify(&json!([
        approve(1, "bob"),
        approve(2, "alice"),
        approve(3, "carol")
    ]));
    assert_eq!(var(&run, "JIT_VERIFIED_APPROVERS"), "carol@example.com");
    assert_eq!(
        var(&run, "JIT_CHANGE_AUTHOR"),
        "alice@example.com,author@example.com,bob@example.com"
    );
    assert!(
        run.stderr
            .contains("bob wrote or pushed the change (bob pushed 222222222222 to the branch)"),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("alice wrote or pushed the change (alice pushed 111111111111"),
        "{}",
        run.stderr
    );
    // A second GitHub account of a pusher is the same person.
    let run = case.verify(&json!([approve(1, "bob-alt"), approve(2, "carol")]));
    assert_eq!(var(&run, "JIT_VERIFIED_APPROVERS"), "carol@example.com");
    assert!(run.stderr.contains("bob-alt wrote or pushed the change (bob pushed 222222222222 to the branch (same Identity Center user BOB@example.com))"), "{}", run.stderr);
}

#[test]
fn approval_script_excludes_commit_authors_and_committers() {
    let case = Case::new("authors");
    let mut committed_by_dave = commit(MIDDLE, None, "someone@example.org", "Change");
    committed_by_dave["committer"] = json!({"login": "Dave"});
    case.commits(&json!([
        // carol wrote a commit that the author pushed: by login.
        commit(OLD, Some("carol"), "carol@personal.example.org", "Grant"),
        // erin's address is her Identity Center user name, not linked to her login.
        commit(HEAD, None, "Erin@Example.com", "More"),
        committed_by_dave,
        // frank's GitHub no-reply address names his login.
        commit(
            OLD,
            None,
            "123456+frank@users.noreply.github.com",
            "Even more"
        ),
    ]));
    let mut four = pull();
    four["commits"] = json!(4);
    case.pull(&four);
    let run = case.verify(&json!([
        approve(1, "carol"),
        approve(2, "erin"),
        approve(3, "dave"),
        approve(4, "frank"),
        approve(5, "bob")
    ]));
    assert_eq!(var(&run, "JIT_VERIFIED_APPROVERS"), "bob@example.com");
    assert_eq!(
        var(&run, "JIT_CHANGE_AUTHOR"),
        "author@example.com,carol@example.com,dave@example.com,erin@example.com,frank@example.com"
    );
    for explained in [
        "carol wrote or pushed the change (carol is the author of 000000000000)",
        "erin wrote or pushed the change (Erin@Example.com is the author of 111111111111)",
        "dave wrote or pushed the change (Dave is the committer of 222222222222)",
        "frank wrote or pushed the change (frank is the author of 000000000000)",
    ] {
        assert!(
            run.stderr.contains(explained),
            "missing `{explained}` in:\n{}",
            run.stderr
        );
    }
}

#[test]
fn approval_script_excludes_co_authors() {
    let case = Case::new("co-authors");
    case.commits(&json!([
        commit(MIDDLE, Some("author"), "author@example.com", "Grant\n\nCo-authored-by: Carol C <carol@example.com>\nco-authored-by:Dave <42+dave@users.noreply.github.com>"),
        // Not a trailer: the words in a sentence.
        commit(HEAD, Some("author"), "author@example.com", "Say that erin co-authored-by: nobody <erin@example.com> inline"),
    ]));
    let run = case.verify(&json!([
        approve(1, "carol"),
        approve(2, "dave"),
        approve(3, "erin")
    ]));
    assert_eq!(var(&run, "JIT_VERIFIED_APPROVERS"), "erin@example.com");
    assert_eq!(
        var(&run, "JIT_CHANGE_AUTHOR"),
        "author@example.com,carol@example.com,dave@example.com"
    );
    assert!(
        run.stderr.contains(
            "carol wrote or pushed the change (carol@example.com co-authored 222222222222)"
        ),
        "{}",
        run.stderr
    );
    assert!(
        run.stderr
            .contains("dave wrote or pushed the change (dave co-authored 222222222222)"),
        "{}",
        run.stderr
    );
}

#[test]
fn approval_script_verifies_nobody_when_it_cannot_know_every_author() {
    let reviews = json!([approve(1, "carol")]);
    // The complete case verifies carol, so each change below is what stops it.
    assert_eq!(
        var(
            &Case::new("complete").verify(&reviews),
            "JIT_VERIFIED_APPROVERS"
        ),
        "carol@example.com"
    );

    let fork = Case::new("fork");
    let mut forked = pull();
    forked["head"]["repo"] = json!({"full_name": "mallory/access"});
    fork.pull(&forked);
    let run = fork.verify(&reviews);
    assert_eq!(var(&run, "JIT_VERIFIED_APPROVERS"), "");
    assert!(
        run.stderr
            .contains("::warning::the pull request comes from a fork (mallory/access)"),
        "{}",
        run.stderr
    );

    let deleted_fork = Case::new("deleted-fork");
    let mut deleted = pull();
    deleted["head"]["repo"] = Value::Null;
    deleted_fork.pull(&deleted);
    assert_eq!(
        var(&deleted_fork.verify(&reviews), "JIT_VERIFIED_APPROVERS"),
        ""
    );

    let unknown_pusher = Case::new("no-head-push");
    unknown_pusher.activity(&json!([push("author", MIDDLE, "2026-01-01T09:00:00Z")]));
    let run = unknown_pusher.verify(&reviews);
    assert_eq!(var(&run, "JIT_VERIFIED_APPROVERS"), "");
    assert!(
        run.stderr
            .contains("cannot tell who pushed the head commit: no approval is verified"),
        "{}",
        run.stderr
    );

    let truncated = Case::new("truncated");
    let mut long = pull();
    long["commits"] = json!(300);
    truncated.pull(&long);
    let run = truncated.verify(&reviews);
    assert_eq!(var(&run, "JIT_VERIFIED_APPROVERS"), "");
    assert!(
        run.stderr
            .contains("the commit list has 2 of the pull request's 300 commits"),
        "{}",
        run.stderr
    );

    let missing_head = Case::new("missing-head");
    missing_head.commits(&json!([commit(
        MIDDLE,
        Some("author"),
        "author@example.com",
        "x"
    )]));
    let mut one = pull();
    one["commits"] = json!(1);
    missing_head.pull(&one);
    let run = missing_head.verify(&reviews);
    assert_eq!(var(&run, "JIT_VERIFIED_APPROVERS"), "");
    assert!(
        run.stderr
            .contains("the commit list does not hold the head commit"),
        "{}",
        run.stderr
    );
}

#[test]
fn approval_script_reads_paginated_answers() {
    let case = Case::new("pages");
    // `gh api --paginate` prints one array per page, back to back.
    case.scratch.put(
        "commits.json",
        &format!(
            "{}\n{}",
            json!([commit(MIDDLE, Some("author"), "author@example.com", "a")]),
            json!([commit(HEAD, Some("bob"), "bob@example.com", "b")])
        ),
    );
    case.scratch.put(
        "reviews.json",
        &format!(
            "{}{}",
            json!([approve(1, "alice")]),
            json!([approve(2, "bob"), approve(3, "carol")])
        ),
    );
    let run = case.run(&[
        "--pull",
        "pull.json",
        "--commits",
        "commits.json",
        "--reviews",
        "reviews.json",
        "--activity",
        "activity.json",
        "--mapping",
        "mapping.json",
    ]);
    assert_eq!(
        var(&run, "JIT_VERIFIED_APPROVERS"),
        "alice@example.com,carol@example.com"
    );
}

#[test]
fn approval_script_names_the_change_and_its_authors_for_plans() {
    let case = Case::new("plan");
    let mut open = pull();
    open["merged"] = json!(false);
    open["merged_at"] = Value::Null;
    case.scratch.put_json(
        "event.json",
        &json!({"action": "synchronize", "pull_request": open}),
    );
    case.activity(&json!([
        push("author", MIDDLE, "2026-01-01T09:00:00Z"),
        push("bob", HEAD, "2026-01-01T10:00:00Z")
    ]));
    let run = case.run(&[
        "--pull",
        "event.json",
        "--commits",
        "commits.json",
        "--activity",
        "activity.json",
        "--mapping",
        "mapping.json",
        "--author-only",
    ]);
    assert_eq!(run.code, 0, "{run:?}");
    assert_eq!(
        run.stdout,
        "JIT_CHANGE_REF=acme/access#42\nJIT_CHANGE_AUTHOR=author@example.com,bob@example.com\n"
    );
    // Without the activity (not yet visible), the authors it knows.
    let run = case.run(&[
        "--pull",
        "event.json",
        "--commits",
        "commits.json",
        "--mapping",
        "mapping.json",
        "--author-only",
    ]);
    assert_eq!(
        run.stdout,
        "JIT_CHANGE_REF=acme/access#42\nJIT_CHANGE_AUTHOR=author@example.com\n"
    );
    assert!(
        run.stderr.contains(
            "::notice::no activity of the branch was given: the change authors may be incomplete"
        ),
        "{}",
        run.stderr
    );
}

#[test]
fn approval_script_verifies_a_queued_pull_request_only_in_a_merge_group() {
    let case = Case::new("queued");
    let mut queued = pull();
    queued["merged"] = json!(false);
    queued["merged_at"] = Value::Null;
    case.pull(&queued);
    let run = case.verify(&json!([approve(1, "carol")]));
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr
            .contains("::error::verified-approvers: the pull request is not merged"),
        "{}",
        run.stderr
    );
    let run = case.run(&[
        "--merge-group",
        "--pull",
        "pull.json",
        "--commits",
        "commits.json",
        "--reviews",
        "reviews.json",
        "--activity",
        "activity.json",
        "--mapping",
        "mapping.json",
    ]);
    assert_eq!(var(&run, "JIT_VERIFIED_APPROVERS"), "carol@example.com");
    assert_eq!(var(&run, "JIT_CHANGE_REF"), "acme/access#42");
}

#[test]
fn approval_script_rejects_bad_input_with_exit_code_2() {
    let case = Case::new("bad");
    case.scratch.put_json("reviews.json", &json!([]));
    case.mapping(&json!({"alice": "a@example.com,b@example.com"}));
    let run = case.run(&[
        "--pull",
        "pull.json",
        "--commits",
        "commits.json",
        "--mapping",
        "mapping.json",
        "--author-only",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("may not contain a comma"),
        "{}",
        run.stderr
    );

    let case = Case::new("bad-json");
    case.scratch.put("broken.json", "[{");
    let run = case.run(&[
        "--pull",
        "pull.json",
        "--commits",
        "commits.json",
        "--reviews",
        "broken.json",
        "--activity",
        "activity.json",
        "--mapping",
        "mapping.json",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("broken.json is not JSON"),
        "{}",
        run.stderr
    );

    // No repository to name the change after.
    let mut nameless = pull();
    nameless["base"] = json!({"ref": "main"});
    case.pull(&nameless);
    let run = case.run(&[
        "--pull",
        "pull.json",
        "--commits",
        "commits.json",
        "--mapping",
        "mapping.json",
        "--author-only",
    ]);
    assert_eq!(run.code, 2, "{run:?}");
    assert!(
        run.stderr.contains("cannot name the change"),
        "{}",
        run.stderr
    );
}
