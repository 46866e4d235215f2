import os
import boto3

ddb = boto3.client("dynamodb")


def handler(event, context):
    ddb.transact_write_items(
        TransactItems=[
            {"Put": {"TableName": os.environ["JOURNAL"], "Item": {"pk": {"S": event["id"]}, "meta": {"M": {"a": {"S": "b"}}}}}},
            {"Update": {"TableName": "members", "Key": {"pk": {"S": "x"}}, "UpdateExpression": "SET n = n + :one"}},
        ]
    )
