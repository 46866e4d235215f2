from .aws import make_client

kinesis = make_client("kinesis")


def put(client, data):
    client.put_record(StreamName="clicks", Data=data, PartitionKey="k")


def handler(event, context):
    put(kinesis, b"x")
