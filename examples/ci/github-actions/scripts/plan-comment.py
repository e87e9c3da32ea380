#!/usr/bin/env python3
"""Write the pull-request comment of a jit plan: one line per effect first, then the plan.

Inputs are what the plan job saves:
  --log PLAN.jsonl   the `terraform plan -json` stream (diagnostics are only
                     there: `terraform show` never prints them);
  --plan PLAN.json   `terraform show -json` of the saved plan (absent when the
                     plan failed);
  --text PLAN.txt    `terraform show -no-color` of the saved plan.

The effect lines at the top are:
  * every reviewer summary the provider emitted: a warning diagnostic whose
    `detail` starts with "Reviewer summary.", shown as
    "<summary> (<address>)";
  * a line for every object the plan destroys (actions `["delete"]`, and
    replacements), derived from `resource_changes`, because Terraform 1.0.3
    never asks the provider to plan a destroy (the same text the provider
    writes on Terraform >= 1.3):
      jit_grant          revokes <principal>'s <permission_set> on <account_id>
                         ("group <principal>" for a group; "(already ended:
                         EXPIRED)" when the grant was over)
      jit_user_block     restores <target> ("forgets the block of <target>
                         (the user no longer exists)" when it was deleted)
      jit_iam_env_user   deletes IAM user <name> (loses <groups>)
      jit_iam_env_group  deletes group <name> (its members lose the <role>
                         policy of <environment>)
      anything else      destroys <address>
    each followed by " (<address>)".
    An address the provider already summarised is not repeated: for a plain
    delete any summary of that address stands for it; for a replacement
    (whose summary usually describes the new object) only one that says
    "revokes", "restores", "deletes", "forgets" or "destroys". Terraform
    >= 1.3 gives the provider's summary of a destroy whose resource left the
    configuration no address: such a summary saying exactly what a derived
    line says is not repeated either.
Objects that leave the state but stay in AWS (`forget`, Terraform >= 1.7) get
"stops managing <address> (the object stays)".

Values come from the pull request, so everything it wrote is shown inside
fenced code blocks (no Markdown, no mentions). The comment is kept under
GitHub's 65,536 characters by cutting the plan text first.

Usage:
  plan-comment.py --log PLAN.jsonl [--plan PLAN.json] [--text PLAN.txt]
                  [--head SHA] [--change-ref OWNER/REPO#N] [--exit-code N] [--lines]

--lines prints only the effect lines, one per line.
"""

import argparse
import json
import re
import sys

MARKER = "<!-- jit-plan -->"
SUMMARY_DETAIL = "Reviewer summary."
COMMENT_LIMIT = 65000
# The provider numbers the second and later of identical summaries.
IDENTICAL = re.compile(r" \(identical change [0-9]+\)$")
DESTROY_WORDS = re.compile(r"\b(revokes|restores|destroys|deletes|forgets)\b")


def read_text(path):
    if not path:
        return None
    try:
        with open(path, encoding="utf-8", errors="replace") as handle:
            return handle.read()
    except OSError:
        return None


def diagnostics(log_text):
    """Diagnostics of a `terraform plan -json` stream, in order, without repeats."""
    found, seen = [], set()
    for line in (log_text or "").splitlines():
        line = line.strip()
        if not line.startswith("{"):
            continue
        try:
            message = json.loads(line)
        except ValueError:
            continue
        diagnostic = message.get("diagnostic") if isinstance(message, dict) and message.get("type") == "diagnostic" else None
        if not isinstance(diagnostic, dict):
            continue
        key = json.dumps(diagnostic, sort_keys=True)
        if key not in seen:
            seen.add(key)
            found.append(diagnostic)
    return found


def is_summary(diagnostic):
    return diagnostic.get("severity") == "warning" and str(diagnostic.get("detail") or "").startswith(SUMMARY_DETAIL)


def text_of(value):
    return value if isinstance(value, str) and value else "(unknown)"


def user_block_target(before):
    def first(block):
        return block[0] if isinstance(block, list) and block and isinstance(block[0], dict) else None

    iam, cognito = first(before.get("iam")), first(before.get("cognito"))
    center = first(before.get("identity_center"))
    if iam:
        return f"IAM user {text_of(iam.get('user_name'))}"
    if cognito:
        return f"Cognito user {text_of(cognito.get('username'))} of pool {text_of(cognito.get('user_pool_id'))}"
    if center:
        return f"Identity Center user {text_of(center.get('user'))}"
    return text_of(before.get("id"))


def destroy_effect(kind, before):
    """What destroying an object of the provider does, as the provider says it; None otherwise."""
    if kind == "jit_grant":
        who = text_of(before.get("principal"))
        if before.get("principal_type") == "GROUP":
            who = f"group {who}"
        line = f"revokes {who}'s {text_of(before.get('permission_set'))} on {text_of(before.get('account_id'))}"
        if before.get("status") in ("EXPIRED", "REVOKED"):
            line += f" (already ended: {before['status']})"
        return line
    if kind == "jit_user_block":
        if before.get("status") == "USER_DELETED":
            return f"forgets the block of {user_block_target(before)} (the user no longer exists)"
        return f"restores {user_block_target(before)}"
    if kind == "jit_iam_env_user":
        groups = before.get("groups")
        groups = sorted(g for g in groups if isinstance(g, str) and g) if isinstance(groups, list) else []
        line = f"deletes IAM user {text_of(before.get('name'))}"
        return f"{line} (loses {', '.join(groups)})" if groups else line
    if kind == "jit_iam_env_group":
        return (f"deletes group {text_of(before.get('name'))} (its members lose the "
                f"{text_of(before.get('role'))} policy of {text_of(before.get('environment'))})")
    return None


def destroy_lines(plan):
    """[(address, line, replaced, effect)] for every object the plan destroys or
    forgets; `effect` is the line without its address (None for other kinds)."""
    lines = []
    for change in (plan or {}).get("resource_changes") or []:
        if not isinstance(change, dict) or change.get("mode", "managed") != "managed":
            continue
        planned = change.get("change") or {}
        actions = planned.get("actions") or []
        address = str(change.get("address"))
        before = planned.get("before") if isinstance(planned.get("before"), dict) else {}
        if actions == ["forget"]:
            lines.append((address, f"stops managing {address} (the object stays)", False, None))
            continue
        if "delete" not in actions:
            continue
        effect = destroy_effect(change.get("type"), before)
        line = f"{effect} ({address})" if effect else f"destroys {address}"
        lines.append((address, line, actions != ["delete"], effect))
    return lines


def effect_lines(diags, plan):
    summaries = [d for d in diags if is_summary(d)]
    by_address = {}
    for diagnostic in summaries:
        by_address.setdefault(str(diagnostic.get("address") or ""), []).append(str(diagnostic.get("summary") or ""))
    entries, unsaid = [], []
    for address, line, replaced, effect in destroy_lines(plan):
        said = by_address.get(address, [])
        if said and (not replaced or any(DESTROY_WORDS.search(s) for s in said)):
            continue
        entries.append((address, 0, line))
        if effect and not replaced:
            unsaid.append(effect)
    for diagnostic in summaries:
        address = str(diagnostic.get("address") or "")
        summary = " ".join(str(diagnostic.get("summary") or "").split())
        if not address:
            # Terraform >= 1.3 gives the summary of a destroy whose resource
            # left the configuration no address; the derived line, which has
            # one, already says the same.
            effect = IDENTICAL.sub("", summary)
            if effect in unsaid:
                unsaid.remove(effect)
                continue
        entries.append((address, 1, f"{summary} ({address})" if address else summary))
    # Sorted by address: Terraform plans in parallel, so the stream's order varies.
    return [line for _, _, line in sorted(entries, key=lambda e: (e[0], e[1]))]


def fenced(text):
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}text\n{text}\n{fence}"


def describe(diagnostic):
    severity = "Error" if diagnostic.get("severity") == "error" else "Warning"
    lines = [f"{severity}: {diagnostic.get('summary') or ''}"]
    if diagnostic.get("address"):
        lines.append(f"  with {diagnostic['address']}")
    detail = str(diagnostic.get("detail") or "").strip()
    if detail:
        lines.append("")
        lines.extend("  " + line for line in detail.splitlines())
    return "\n".join(lines)


def render(args, diags, plan, text):
    effects = effect_lines(diags, plan)
    failed = args.exit_code not in ("", "0")
    others = [d for d in diags if not is_summary(d)]
    errors = [describe(d) for d in others if d.get("severity") == "error"]
    warnings = [describe(d) for d in others if d.get("severity") != "error"]
    head = re.sub(r"[^0-9a-fA-F]", "", args.head or "")[:40] or "this commit"
    parts = [MARKER, f"### jit plan {'FAILED' if failed else 'succeeded'} for {head}", ""]
    if effects:
        parts += ["**What this change does**, one line per effect:", "", fenced("\n".join(effects)), ""]
    elif not failed:
        parts += ["**What this change does:** no access changes.", ""]
    if re.fullmatch(r"[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+#[0-9]+", args.change_ref or ""):
        parts += [f"A `jit_grant` written for this pull request carries `change_ref = \"{args.change_ref}\"`; approvals of this pull request count only for such grants.", ""]
    parts += [
        "Approve only if this is the change you mean to allow. Approvals count at apply only on the",
        "commit that is merged; a new push needs a new approval.",
        "",
    ]
    for title, items in (("Errors", errors), ("Other warnings", warnings)):
        if items:
            parts += [f"**{title}**", "", fenced("\n\n".join(items)), ""]
    head_part = "\n".join(parts)
    if text is None:
        plan_part = "" if not failed else "No plan was saved: see the errors above and the job log."
    else:
        room = COMMENT_LIMIT - len(head_part) - 200
        body = text.rstrip("\n")
        if len(body) > room:
            body = body[: max(room, 0)] + "\n… (cut: the full plan is in the job log)"
        plan_part = "\n".join(["<details><summary>terraform plan</summary>", "", fenced(body), "", "</details>"])
    comment = head_part + "\n" + plan_part + "\n"
    if len(comment) > COMMENT_LIMIT:
        comment = comment[:COMMENT_LIMIT] + "\n… (cut)\n"
    return effects, comment


def main(argv):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--log", required=True, help="`terraform plan -json` output")
    parser.add_argument("--plan", help="`terraform show -json` of the saved plan")
    parser.add_argument("--text", help="`terraform show -no-color` of the saved plan")
    parser.add_argument("--head", default="", help="the head commit planned")
    parser.add_argument("--change-ref", default="", help="JIT_CHANGE_REF of the pull request")
    parser.add_argument("--exit-code", default="0", help="exit code of `terraform plan`")
    parser.add_argument("--lines", action="store_true", help="print only the effect lines")
    args = parser.parse_args(argv)
    log_text = read_text(args.log)
    if log_text is None:
        print(f"::error::plan-comment: cannot read {args.log}", file=sys.stderr)
        return 2
    plan = None
    plan_text = read_text(args.plan)
    if plan_text:
        try:
            plan = json.loads(plan_text)
        except ValueError as error:
            print(f"::error::plan-comment: {args.plan} is not JSON: {error}", file=sys.stderr)
            return 2
    effects, comment = render(args, diagnostics(log_text), plan, read_text(args.text))
    sys.stdout.write("".join(f"{line}\n" for line in effects) if args.lines else comment)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
