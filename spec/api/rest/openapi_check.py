"""Checks JSON documents against the components of our OpenAPI 3.1 document with python3-jsonschema (2020-12).

Reads {"openapi": {...}, "checks": [{"schema": "MSS_SignatureResp", "instance": {...}}, ...]} on stdin and prints one
JSON list of error lists (empty when valid), so the spec sees every failure.
"""
import json
import sys

from jsonschema import Draft202012Validator
from jsonschema.validators import RefResolver

data = json.load(sys.stdin)
doc = data["openapi"]
resolver = RefResolver.from_schema(doc)
results = []
for check in data["checks"]:
    schema = {"$ref": "#/components/schemas/" + check["schema"]}
    validator = Draft202012Validator(schema, resolver=resolver)
    results.append([e.message for e in validator.iter_errors(check["instance"])])
print(json.dumps(results))
