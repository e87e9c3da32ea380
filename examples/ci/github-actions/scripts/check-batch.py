#!/usr/bin/env python3
"""Refuse a merge-queue apply whose batch creates high-risk grants for several changes.

An apply verifies the approvals of one pull request (JIT_CHANGE_REF,
JIT_VERIFIED_APPROVERS), so it cannot speak for several. A merge queue may
build a group of several pull requests and apply them at once. This script
reads the saved plan (`terraform show -json PLAN`) and lists every
`jit_grant` being created or replaced (actions `["create"]`,
`["delete", "create"]` or `["create", "delete"]`) whose planned `risk` is
not `low` (an unknown risk counts as high), with its planned `change_ref`.

With --merge-group it refuses (exit 1), before anything is applied, when
those grants carry more than one change ref (an unknown or missing
`change_ref` counts as a change of its own), or when their one change ref is
not --change-ref: the provider would refuse such a grant at apply, after the
rest of the group had been applied for a group that then fails. Without
--merge-group it only reports (exit 0): the provider refuses each grant whose
`change_ref` differs from JIT_CHANGE_REF.

Usage:
  check-batch.py --plan PLAN.json [--change-ref OWNER/REPO#N] [--merge-group]

Exit code 2 on unusable input.
"""

import argparse
import json
import sys

GRANT = "jit_grant"
CREATES = (["create"], ["delete", "create"], ["create", "delete"])


class InputError(Exception):
    pass


def escape(message):
    """One line the runner does not parse as a workflow command (values come from the pull request)."""
    return message.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def high_risk_creates(plan):
    """[(address, change ref shown, change ref key, risk shown)] of high-risk grants being created or replaced."""
    if not isinstance(plan, dict) or not isinstance(plan.get("resource_changes", []), list):
        raise InputError("not the JSON of a saved plan (`terraform show -json PLAN`)")
    found = []
    for change in plan.get("resource_changes") or []:
        if not isinstance(change, dict) or change.get("type") != GRANT or change.get("mode") != "managed":
            continue
        planned = change.get("change") or {}
        if planned.get("actions") not in CREATES:
            continue
        after = planned.get("after") or {}
        unknown = planned.get("after_unknown") or {}
        address = str(change.get("address"))
        risk = after.get("risk") if not unknown.get("risk") else None
        if risk == "low":
            continue
        if unknown.get("change_ref"):
            shown, key = "(known after apply)", f"unknown:{address}"
        elif isinstance(after.get("change_ref"), str) and after["change_ref"]:
            shown = key = after["change_ref"]
        else:
            shown, key = "(none)", f"none:{address}"
        found.append((address, shown, key, risk or "(known after apply)"))
    return sorted(found)


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--plan", required=True, help="`terraform show -json` of the saved plan")
    parser.add_argument("--change-ref", default="", help="JIT_CHANGE_REF of this run")
    parser.add_argument("--merge-group", action="store_true", help="this run applies a merge-queue group: refuse")
    args = parser.parse_args(argv)
    try:
        try:
            with open(args.plan, encoding="utf-8") as handle:
                plan = json.load(handle)
        except (OSError, UnicodeDecodeError, ValueError) as error:
            raise InputError(f"cannot read {args.plan}: {error}") from error
        grants = high_risk_creates(plan)
    except InputError as error:
        print(f"::error::check-batch: {escape(str(error))}", file=sys.stderr)
        return 2
    keys = sorted({key for _, _, key, _ in grants})
    for address, shown, _, risk in grants:
        print(escape(f"{address}: {risk} risk, change_ref {shown}"), file=sys.stderr)
    if not grants:
        print("check-batch: no high-risk grant is created or replaced", file=sys.stderr)
        return 0
    problem = None
    if len(keys) > 1:
        problem = (
            f"this apply creates or replaces high-risk grants of {len(keys)} changes "
            f"({', '.join(sorted({shown for _, shown, _, _ in grants}))}); one JIT_CHANGE_REF and one "
            "list of verified approvers cannot speak for several changes"
        )
    elif keys[0] != args.change_ref:
        problem = (
            f"this apply creates or replaces high-risk grants of change {grants[0][1]}, but verifies the "
            f"approvals of {args.change_ref or 'no change'}"
        )
    if problem is None:
        print(escape(f"check-batch: every high-risk grant created or replaced belongs to {args.change_ref}"), file=sys.stderr)
        return 0
    if args.merge_group:
        print(f"::error::check-batch: {escape(problem)}. Nothing is applied: queue this pull request alone (or remove the others' grants from the group).", file=sys.stderr)
        return 1
    print(f"::notice::check-batch: {escape(problem)}; the provider refuses those grants.", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
