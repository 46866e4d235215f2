"""Fixture for the check rules: reads a media object, records it in a
DynamoDB table, and lists the account's queues (an action that has no
resource type, so it is granted on "*")."""
import boto3

s3 = boto3.client("s3")
table = boto3.resource("dynamodb").Table("orders")
sqs = boto3.client("sqs")


def handler(event, context):
    obj = s3.get_object(Bucket="media", Key="incoming/" + event["key"])
    table.put_item(Item={"pk": event["key"], "size": obj["ContentLength"]})
    return sqs.list_queues()
