import lib.clients


def handler(event, context):
    lib.clients.SQS.send_message(QueueUrl="https://sqs.us-east-1.amazonaws.com/123456789012/jobs", MessageBody="x")
