#!/usr/bin/env python3
"""Turn a pull request's reviews, commits and pushes into the approvals jit_grant verifies.

Reads JSON the GitHub REST API returned (saved to files by the workflow, so
that this script runs offline and is testable) and prints lines for
$GITHUB_ENV:

    JIT_CHANGE_REF=<owner>/<repo>#<number>
    JIT_CHANGE_AUTHOR=<Identity Center user names of everyone who wrote or pushed the change>
    JIT_VERIFIED_APPROVERS=<Identity Center user names, comma-separated>   (not with --author-only)

Who wrote or pushed the change (the "change authors") is everyone who:
  * opened the pull request;
  * pushed to its branch (push, force push or branch creation in the
    repository's activity for that branch);
  * is the author or the committer of one of its commits, as a GitHub login
    or as an e-mail address;
  * is named in a `Co-authored-by:` trailer of one of its commits.
A login counts through the mapping file (GitHub login -> Identity Center user
name, protected by CODEOWNERS); an e-mail address counts when it is a GitHub
no-reply address (then it names a login) or equals a mapped user name.
JIT_CHANGE_AUTHOR lists the mapped user names of all of them; people who are
not in the mapping cannot be verified approvers anyway.

An approver counts only when all of these hold:
  * it is the reviewer's latest review that decides approval (APPROVED,
    CHANGES_REQUESTED or DISMISSED; a later COMMENTED review leaves an approval
    standing, as on GitHub itself);
  * its state is APPROVED;
  * it was given on the head commit (commit_id == head.sha): an approval of an
    earlier commit does not cover what is merged;
  * the reviewer is not a change author (by login, or by a mapped user name
    shared with one: two logins of one person), and is not a bot;
  * the GitHub login is in the mapping file.
GitHub logins are compared case-insensitively.

Nobody is verified (fail closed; low-risk changes still apply, high-risk
grants are refused by the provider) when the change authors cannot all be
known: a pull request from a fork (its pushes are not in this repository's
activity), no push of the head commit in the activity, or a commit list that
is not the whole pull request (the API lists at most 250 commits).

Usage:
  verified-approvers.py --pull PULL.json --mapping MAP.json --commits COMMITS.json
                        --reviews REVIEWS.json --activity ACTIVITY.json [--merge-group]
  verified-approvers.py --pull EVENT_OR_PULL.json --mapping MAP.json --commits COMMITS.json
                        [--activity ACTIVITY.json] --author-only

PULL.json is `GET /repos/O/R/pulls/N` (or a pull_request event payload);
COMMITS.json is `GET /repos/O/R/pulls/N/commits`, REVIEWS.json
`GET /repos/O/R/pulls/N/reviews` and ACTIVITY.json
`GET /repos/O/R/activity?ref=refs/heads/<head ref>` (pages may be
concatenated, as `gh api --paginate` prints them). Without --merge-group the
pull request must be merged; with it, it is in a merge queue.
Notices and warnings go to stderr as GitHub annotations. Exit code 2 on bad
input.
"""

import argparse
import json
import re
import sys

# Review states that set a reviewer's approval state; COMMENTED and PENDING
# do not change it.
DECIDING_STATES = {"APPROVED", "CHANGES_REQUESTED", "DISMISSED"}
# Activity types that move a branch to a commit someone chose.
PUSH_ACTIVITIES = {"push", "force_push", "branch_creation"}
# `GET /pulls/N/commits` lists at most this many commits.
COMMITS_LIMIT = 250
CO_AUTHOR = re.compile(r"^\s*co-authored-by\s*:\s*(?P<name>.*?)\s*<(?P<email>[^<>\s]+)>\s*$", re.IGNORECASE)
NOREPLY = re.compile(r"^(?:\d+\+)?(?P<login>[a-z0-9](?:[a-z0-9-]*[a-z0-9])?)@users\.noreply\.github\.com$", re.IGNORECASE)
CHANGE_REF = re.compile(r"^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+#[0-9]+$")


class InputError(Exception):
    """Unusable input; the message says which file and why."""


def load_json_values(path):
    """All JSON values in a file (`gh api --paginate` concatenates pages)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from error
    except UnicodeDecodeError as error:
        raise InputError(f"{path} is not UTF-8: {error}") from error
    decoder = json.JSONDecoder()
    values, index = [], 0
    while True:
        while index < len(text) and text[index].isspace():
            index += 1
        if index >= len(text):
            return values
        try:
            value, index = decoder.raw_decode(text, index)
        except json.JSONDecodeError as error:
            raise InputError(f"{path} is not JSON: {error}") from error
        values.append(value)


def load_list(path):
    """A JSON array, or several (pages), flattened into one list of objects."""
    items = []
    for value in load_json_values(path):
        if not isinstance(value, list):
            raise InputError(f"{path}: expected a JSON array, found {type(value).__name__}")
        for item in value:
            # `gh api --paginate --slurp` wraps pages in an outer array.
            items.extend(item if isinstance(item, list) else [item])
    if not all(isinstance(item, dict) for item in items):
        raise InputError(f"{path}: expected an array of objects")
    return items


def load_object(path):
    values = load_json_values(path)
    if len(values) != 1 or not isinstance(values[0], dict):
        raise InputError(f"{path}: expected one JSON object")
    return values[0]


def load_pull(path):
    """The pull request object, from the API or from an event payload."""
    document = load_object(path)
    pull = document.get("pull_request", document)
    if not isinstance(pull, dict) or not isinstance(pull.get("user"), dict):
        raise InputError(f"{path}: not a pull request (no `user`)")
    return pull


def load_mapping(path):
    mapping = {}
    for login, user_name in load_object(path).items():
        if not isinstance(user_name, str) or not user_name.strip():
            raise InputError(f"{path}: `{login}` must map to a non-empty Identity Center user name")
        if "," in user_name or any(c in user_name for c in "\r\n"):
            raise InputError(f"{path}: `{user_name}` may not contain a comma or a line break")
        mapping[login.lower()] = user_name.strip()
    return mapping


def escape(message):
    """A workflow-command message: one line, nothing the runner would parse."""
    return message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def user_login(user):
    if isinstance(user, dict) and isinstance(user.get("login"), str) and user["login"]:
        return user["login"]
    return None


def login_of(item):
    return user_login(item.get("user")) or user_login(item.get("actor"))


def is_bot(item):
    user = item.get("user") or {}
    return user.get("type") == "Bot" or str(user.get("login", "")).endswith("[bot]")


def change_ref(pull):
    repo = ((pull.get("base") or {}).get("repo") or {}).get("full_name")
    ref = f"{repo}#{pull.get('number')}"
    if not CHANGE_REF.match(ref):
        raise InputError(f"cannot name the change: base repository `{repo}`, number `{pull.get('number')}`")
    return ref


class Authors:
    """Everyone who wrote or pushed the change, by login and by e-mail."""

    def __init__(self, mapping):
        self.mapping = mapping
        self.logins = {}  # lowercase login -> why
        self.emails = {}  # lowercase e-mail -> why

    def add_login(self, login, why):
        if login:
            self.logins.setdefault(login.lower(), f"{login} {why}")

    def add_email(self, email, why):
        if not isinstance(email, str) or "@" not in email:
            return
        noreply = NOREPLY.match(email.strip())
        if noreply:
            self.add_login(noreply.group("login"), why)
        else:
            self.emails.setdefault(email.strip().lower(), f"{email.strip()} {why}")

    def add_commit(self, commit):
        sha = str(commit.get("sha") or "")[:12]
        git = commit.get("commit") or {}
        for role in ("author", "committer"):
            self.add_login(user_login(commit.get(role)), f"is the {role} of {sha}")
            self.add_email((git.get(role) or {}).get("email"), f"is the {role} of {sha}")
        for line in str(git.get("message") or "").splitlines():
            trailer = CO_AUTHOR.match(line)
            if trailer:
                self.add_email(trailer.group("email"), f"co-authored {sha}")

    def user_names(self):
        """Mapped Identity Center user names of every author."""
        lowered = {name.lower(): name for name in self.mapping.values()}
        names = {self.mapping[login] for login in self.logins if login in self.mapping}
        names |= {lowered[email] for email in self.emails if email in lowered}
        return names

    def why(self, login):
        """Why a reviewer counts as an author, or None."""
        if login.lower() in self.logins:
            return self.logins[login.lower()]
        name = self.mapping.get(login.lower(), "").lower()
        if name:
            if name in self.emails:
                return self.emails[name]
            for other in self.logins:
                if self.mapping.get(other, "").lower() == name:
                    return f"{self.logins[other]} (same Identity Center user {self.mapping[login.lower()]})"
        return None


def pushes(activities, head_ref):
    """Activities that moved the pull request's branch."""
    refs = {f"refs/heads/{head_ref}", head_ref} if head_ref else set()
    return [a for a in activities if a.get("activity_type") in PUSH_ACTIVITIES and a.get("ref") in refs]


def completeness_problems(pull, commits, branch_pushes):
    """Reasons why the change authors may not all be known."""
    problems = []
    head = pull.get("head") or {}
    base_repo = ((pull.get("base") or {}).get("repo") or {}).get("full_name")
    head_repo = (head.get("repo") or {}).get("full_name")
    if not head_repo or not base_repo or head_repo.lower() != base_repo.lower():
        problems.append(f"the pull request comes from a fork ({head_repo or 'deleted'}): its pushes are not in this repository's activity")
    if branch_pushes is None:
        problems.append("no activity of the branch was given")
    elif not any(a.get("after") == head.get("sha") and login_of(a) for a in branch_pushes):
        problems.append("cannot tell who pushed the head commit")
    expected = pull.get("commits")
    shas = {c.get("sha") for c in commits}
    if isinstance(expected, int) and (expected > COMMITS_LIMIT or len(commits) < expected):
        problems.append(f"the commit list has {len(commits)} of the pull request's {expected} commits")
    if head.get("sha") not in shas:
        problems.append("the commit list does not hold the head commit")
    return problems


def verified_approvers(pull, reviews, mapping, authors, notes):
    head_sha = (pull.get("head") or {}).get("sha")
    names = set()
    latest = {}
    ordered = sorted(reviews, key=lambda r: (str(r.get("submitted_at") or ""), r.get("id") or 0))
    for review in ordered:
        login = login_of(review)
        if login and review.get("state") in DECIDING_STATES:
            latest[login.lower()] = review
    for login, review in sorted(latest.items()):
        shown = login_of(review)
        if review.get("state") != "APPROVED":
            continue
        if review.get("commit_id") != head_sha:
            notes.append(("notice", f"{shown} approved {str(review.get('commit_id'))[:12]}, not the head {head_sha[:12]}: not counted"))
            continue
        why = authors.why(login)
        if why:
            notes.append(("notice", f"{shown} wrote or pushed the change ({why}): their approval is not counted"))
            continue
        if is_bot(review):
            notes.append(("notice", f"{shown} is a bot: not counted"))
            continue
        if login not in mapping:
            notes.append(("warning", f"{shown} approved but is not in the approver mapping: not counted"))
            continue
        names.add(mapping[login])
    return sorted(names)


def run(args, notes):
    pull = load_pull(args.pull)
    mapping = load_mapping(args.mapping)
    commits = load_list(args.commits)
    head = pull.get("head") or {}
    if not head.get("sha"):
        raise InputError("the pull request has no head commit (`head.sha`)")
    branch_pushes = pushes(load_list(args.activity), head.get("ref")) if args.activity else None

    authors = Authors(mapping)
    authors.add_login(login_of(pull), "opened the pull request")
    for push in branch_pushes or []:
        authors.add_login(login_of(push), f"pushed {str(push.get('after'))[:12]} to the branch")
    for commit in commits:
        authors.add_commit(commit)

    lines = [f"JIT_CHANGE_REF={change_ref(pull)}", f"JIT_CHANGE_AUTHOR={','.join(sorted(authors.user_names()))}"]
    problems = completeness_problems(pull, commits, branch_pushes)
    if args.author_only:
        notes.extend(("notice", f"{problem}: the change authors may be incomplete") for problem in problems)
        return lines
    if not args.reviews or not args.activity:
        raise InputError("--reviews and --activity are required unless --author-only")
    if not args.merge_group and not (pull.get("merged") is True or pull.get("merged_at")):
        raise InputError("the pull request is not merged: approvals are read only after the merge (or in a merge queue, with --merge-group)")
    if problems:
        notes.extend(("warning", f"{problem}: no approval is verified") for problem in problems)
        names = []
    else:
        names = verified_approvers(pull, load_list(args.reviews), mapping, authors, notes)
    lines.append(f"JIT_VERIFIED_APPROVERS={','.join(names)}")
    return lines


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pull", required=True, help="the pull request (API answer or event payload)")
    parser.add_argument("--mapping", required=True, help="GitHub login -> Identity Center user name")
    parser.add_argument("--commits", required=True, help="the pull request's commits")
    parser.add_argument("--reviews", help="the pull request's reviews")
    parser.add_argument("--activity", help="the activity of the pull request's branch")
    parser.add_argument("--author-only", action="store_true", help="print only JIT_CHANGE_REF and JIT_CHANGE_AUTHOR (plan)")
    parser.add_argument("--merge-group", action="store_true", help="the pull request is in a merge queue, not merged yet")
    args = parser.parse_args(argv)
    notes = []
    try:
        lines = run(args, notes)
    except InputError as error:
        print(f"::error::verified-approvers: {escape(str(error))}", file=sys.stderr)
        return 2
    for level, message in notes:
        print(f"::{level}::{escape(message)}", file=sys.stderr)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
