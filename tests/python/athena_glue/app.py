import os

import boto3

glue = boto3.client("glue")
athena = boto3.client("athena")
RESULTS = os.environ["RESULTS_BUCKET"]


def handler(event, context):
    table = glue.get_table(DatabaseName="sales", Name="orders")
    glue.get_database(Name="sales")
    athena.start_query_execution(
        QueryString="SELECT count(*) FROM clicks",
        QueryExecutionContext={"Database": "analytics"},
        ResultConfiguration={"OutputLocation": f"s3://{RESULTS}/athena/"},
    )
    return table["Table"]["Name"]
