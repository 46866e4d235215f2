import os

import boto3

sqs = boto3.client("sqs")


def handler(event, context):
    # A central queue in another account and region.
    sqs.send_message(
        QueueUrl="https://sqs.eu-west-1.amazonaws.com/210987654321/central-intake",
        MessageBody="x",
    )
    # The legacy URL form.
    sqs.delete_message(
        QueueUrl="https://us-west-2.queue.amazonaws.com/123456789012/legacy",
        ReceiptHandle="r",
    )
    sqs.receive_message(QueueUrl=os.environ["QUEUE_URL"])
    url = sqs.get_queue_url(QueueName="local")["QueueUrl"]
    sqs.change_message_visibility(QueueUrl=url, ReceiptHandle="r", VisibilityTimeout=1)
