#!/usr/bin/env python3
"""Turn a merged pull request's reviews into the approvals jit_grant verifies.

Reads JSON the GitHub REST API returned (saved to files by the workflow, so
that this script runs offline and is testable) and prints lines for
$GITHUB_ENV:

    JIT_VERIFIED_APPROVERS=<Identity Center user names, comma-separated>
    JIT_CHANGE_AUTHOR=<Identity Center user name of the pull request's author>

An approver counts only when all of these hold:
  * it is the reviewer's latest review that decides approval (APPROVED,
    CHANGES_REQUESTED or DISMISSED; a later COMMENTED review leaves an approval
    standing, as on GitHub itself);
  * its state is APPROVED;
  * it was given on the merged head commit (commit_id == head.sha): an
    approval of an earlier commit does not cover what was merged;
  * the reviewer is neither the pull request's author nor the last pusher
    to its branch, and is not a bot;
  * the GitHub login is in the mapping file (GitHub login -> Identity Center
    user name), which CODEOWNERS protects.
GitHub logins are compared case-insensitively. When the last pusher cannot
be determined, no approver is verified (fail closed): low-risk changes still
apply, high-risk grants are refused by the provider.

Usage:
  verified-approvers.py --pull PULL.json --mapping MAP.json --reviews REVIEWS.json
                        (--activity ACTIVITY.json | --last-pusher LOGIN)
  verified-approvers.py --pull EVENT_OR_PULL.json --mapping MAP.json --author-only

PULL.json is `GET /repos/O/R/pulls/N` (or a pull_request event payload);
REVIEWS.json is `GET /repos/O/R/pulls/N/reviews` (pages may be concatenated);
ACTIVITY.json is `GET /repos/O/R/activity?ref=refs/heads/<head ref>`.
Notices and warnings go to stderr as GitHub annotations. Exit code 2 on bad
input.
"""

import argparse
import json
import sys

# Review states that set a reviewer's approval state; COMMENTED and PENDING
# do not change it.
DECIDING_STATES = {"APPROVED", "CHANGES_REQUESTED", "DISMISSED"}
# Activity types that move a branch to a new head commit.
PUSH_ACTIVITIES = {"push", "force_push", "branch_creation"}


class InputError(Exception):
    """Unusable input; the message says which file and why."""


def load_json_values(path):
    """All JSON values in a file (`gh api --paginate` concatenates pages)."""
    try:
        with open(path, encoding="utf-8") as handle:
            text = handle.read()
    except OSError as error:
        raise InputError(f"cannot read {path}: {error.strerror}") from error
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
    """A JSON array, or several (pages), flattened into one list."""
    items = []
    for value in load_json_values(path):
        if not isinstance(value, list):
            raise InputError(f"{path}: expected a JSON array, found {type(value).__name__}")
        for item in value:
            # `gh api --paginate --slurp` wraps pages in an outer array.
            items.extend(item if isinstance(item, list) else [item])
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
        if "," in user_name or "\n" in user_name:
            raise InputError(f"{path}: `{user_name}` may not contain a comma or a line break")
        mapping[login.lower()] = user_name.strip()
    return mapping


def login_of(item):
    user = item.get("user") or item.get("actor")
    if not isinstance(user, dict) or not user.get("login"):
        return None
    return user["login"]


def is_bot(item):
    user = item.get("user") or {}
    return user.get("type") == "Bot" or str(user.get("login", "")).endswith("[bot]")


def last_pusher(activities, head_sha, head_ref):
    """The login that pushed the head commit to the pull request's branch."""
    ref = f"refs/heads/{head_ref}" if head_ref else None
    pushes = [
        a
        for a in activities
        if isinstance(a, dict)
        and a.get("after") == head_sha
        and a.get("activity_type") in PUSH_ACTIVITIES
        and (ref is None or a.get("ref") in (ref, head_ref))
        and login_of(a)
    ]
    if not pushes:
        return None
    pushes.sort(key=lambda a: str(a.get("timestamp", "")))
    return login_of(pushes[-1])


def latest_deciding_reviews(reviews):
    """Each reviewer's latest review that decides their approval state."""
    ordered = sorted(
        (r for r in reviews if isinstance(r, dict)),
        key=lambda r: (str(r.get("submitted_at") or ""), r.get("id") or 0),
    )
    latest = {}
    for review in ordered:
        login = login_of(review)
        if login and review.get("state") in DECIDING_STATES:
            latest[login.lower()] = review
    return latest


def verified_approvers(pull, reviews, mapping, pusher, notes):
    head_sha = (pull.get("head") or {}).get("sha")
    author = login_of(pull)
    if not head_sha:
        raise InputError("the pull request has no head commit (`head.sha`)")
    excluded = {author.lower()} if author else set()
    if pusher is None:
        notes.append(("warning", "cannot tell who pushed the head commit; no approval is verified"))
        return []
    excluded.add(pusher.lower())
    names = set()
    for login, review in sorted(latest_deciding_reviews(reviews).items()):
        shown = login_of(review)
        if review.get("state") != "APPROVED":
            continue
        if review.get("commit_id") != head_sha:
            notes.append(("notice", f"{shown} approved {str(review.get('commit_id'))[:12]}, not the merged head {head_sha[:12]}: not counted"))
            continue
        if login in excluded:
            notes.append(("notice", f"{shown} wrote or pushed the change: their approval is not counted"))
            continue
        if is_bot(review):
            notes.append(("notice", f"{shown} is a bot: not counted"))
            continue
        if login not in mapping:
            notes.append(("warning", f"{shown} approved but is not in the approver mapping: not counted"))
            continue
        names.add(mapping[login])
    return sorted(names)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pull", required=True)
    parser.add_argument("--mapping", required=True)
    parser.add_argument("--reviews")
    parser.add_argument("--activity")
    parser.add_argument("--last-pusher")
    parser.add_argument("--author-only", action="store_true")
    args = parser.parse_args(argv)
    notes = []
    try:
        pull = load_pull(args.pull)
        mapping = load_mapping(args.mapping)
        author = login_of(pull)
        lines = []
        if not args.author_only:
            if not args.reviews:
                raise InputError("--reviews is required unless --author-only")
            if not (pull.get("merged") is True or pull.get("merged_at")):
                raise InputError("the pull request is not merged: approvals are read only after the merge")
            pusher = args.last_pusher
            if pusher is None and args.activity:
                head = pull.get("head") or {}
                pusher = last_pusher(load_list(args.activity), head.get("sha"), head.get("ref"))
            names = verified_approvers(pull, load_list(args.reviews), mapping, pusher, notes)
            lines.append(f"JIT_VERIFIED_APPROVERS={','.join(names)}")
        lines.append(f"JIT_CHANGE_AUTHOR={mapping.get(author.lower(), author) if author else ''}")
    except InputError as error:
        print(f"::error::verified-approvers: {error}", file=sys.stderr)
        return 2
    for level, message in notes:
        print(f"::{level}::{message}", file=sys.stderr)
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
