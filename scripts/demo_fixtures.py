"""Demo fixtures in the local AWS emulator (boto3 ships with moto).

  demo_fixtures.py setup       an IAM user `mallory` with two access keys (one
                               already inactive) in two groups; a permission set
                               `JIT-S3FullAccess` for grants
  demo_fixtures.py show-iam    what IAM has for `mallory` (policies, keys, groups)
  demo_fixtures.py show-sso    assignments of the permission set and the leases

Reads AWS_ENDPOINT_URL and the dummy credentials exported by scripts/moto.sh.
"""
import json
import os
import sys

import boto3


def client(service):
    return boto3.client(service, endpoint_url=os.environ["AWS_ENDPOINT_URL"], region_name="eu-west-1")


def setup():
    iam = client("iam")
    iam.create_user(UserName="mallory")
    first = iam.create_access_key(UserName="mallory")["AccessKey"]["AccessKeyId"]
    second = iam.create_access_key(UserName="mallory")["AccessKey"]["AccessKeyId"]
    iam.update_access_key(UserName="mallory", AccessKeyId=second, Status="Inactive")
    for group in ("hera-dev-developer", "payments-readers"):
        iam.create_group(GroupName=group)
        iam.add_user_to_group(UserName="mallory", GroupName=group)
    sso = client("sso-admin")
    instance = sso.list_instances()["Instances"][0]["InstanceArn"]
    sso.create_permission_set(InstanceArn=instance, Name="JIT-S3FullAccess", SessionDuration="PT1H")
    print(f"fixtures: IAM user mallory (keys {first} Active, {second} Inactive; 2 groups), permission set JIT-S3FullAccess")


def show_iam():
    iam = client("iam")
    state = {
        "inline_policies": iam.list_user_policies(UserName="mallory")["PolicyNames"],
        "access_keys": {k["AccessKeyId"]: k["Status"] for k in iam.list_access_keys(UserName="mallory")["AccessKeyMetadata"]},
        "groups": sorted(g["GroupName"] for g in iam.list_groups_for_user(UserName="mallory")["Groups"]),
    }
    print("IAM mallory:", json.dumps(state, indent=2))


def show_sso():
    sso = client("sso-admin")
    scheduler = client("scheduler")
    instance = sso.list_instances()["Instances"][0]["InstanceArn"]
    sets = sso.list_permission_sets(InstanceArn=instance)["PermissionSets"]
    assignments = [
        a["PrincipalId"]
        for arn in sets
        for a in sso.list_account_assignments(InstanceArn=instance, AccountId="123456789012", PermissionSetArn=arn)["AccountAssignments"]
    ]
    leases = [
        {"name": s["Name"], "state": s["State"]}
        for s in scheduler.list_schedules(GroupName="jit-grants").get("Schedules", [])
    ] if any(g["Name"] == "jit-grants" for g in scheduler.list_schedule_groups()["ScheduleGroups"]) else []
    print("Identity Center assignments (principal ids):", assignments)
    print("Expiry leases (EventBridge Scheduler):", json.dumps(leases, indent=2))


if __name__ == "__main__":
    {"setup": setup, "show-iam": show_iam, "show-sso": show_sso}[sys.argv[1]]()
