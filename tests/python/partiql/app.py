import boto3
ddb = boto3.client("dynamodb")
def handler(event, context):
    ddb.execute_statement(Statement='SELECT * FROM "orders" WHERE id = ?', Parameters=[])
    ddb.execute_statement(Statement=event["q"])
