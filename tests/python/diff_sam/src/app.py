"""Fixture for tests/diff.rs: an SQS-triggered worker that reads one table."""
import os

import boto3

TABLE = boto3.resource("dynamodb").Table(os.environ["TABLE_NAME"])


def handler(event, context):
    for record in event["Records"]:
        TABLE.get_item(Key={"id": record["body"]})
