def put(client):
    client.put_object(Bucket="a-bucket", Key="report.csv", Body=b"")
