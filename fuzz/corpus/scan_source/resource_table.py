import os
import boto3

table = boto3.resource("dynamodb").Table(os.environ["ORDERS_TABLE"])


def handler(event, context):
    table.put_item(Item={"id": "1"})
    table.query(IndexName="by-customer", KeyConditionExpression="x")
    with table.batch_writer() as batch:
        batch.put_item(Item={"id": "2"})
