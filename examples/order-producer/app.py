"""Order producer: every few minutes, read new orders from DynamoDB and
queue one message per order for the fulfilment workers.

A small Lambda to try tighten on:

    cargo run --release -- scan examples/order-producer
"""
import json
import os

import boto3

ORDERS_TABLE = os.environ["ORDERS_TABLE"]
QUEUE_NAME = "fulfilment"

dynamodb = boto3.resource("dynamodb")
sqs = boto3.client("sqs")
s3 = boto3.client("s3")


def new_orders(table_name):
    table = dynamodb.Table(table_name)
    return table.query(
        IndexName="by-status",
        KeyConditionExpression="order_status = :s",
        ExpressionAttributeValues={":s": "NEW"},
    )["Items"]


def enqueue(order, queue_name):
    url = sqs.get_queue_url(QueueName=queue_name)["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=json.dumps(order, default=str))


def lambda_handler(event, context):
    orders = new_orders(ORDERS_TABLE)
    for order in orders:
        enqueue(order, QUEUE_NAME)
    s3.put_object(
        Bucket="example-order-audit",
        Key=f"runs/{context.aws_request_id}.json",
        Body=json.dumps({"queued": len(orders)}),
    )
    return {"queued": len(orders)}
