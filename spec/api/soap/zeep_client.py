"""Independent TS 102 204 client for spec/api/soap/zeep.spec.ts: python3-zeep, built only from the platform's ?wsdl.

Usage: zeep_client.py WSDL_URL AP_ID AP_PWD MSISDN_APPROVE MSISDN_SLOW
Prints one JSON object with what each operation answered; exits non-zero on a zeep error.
"""
import datetime
import json
import sys
import time
import uuid

import zeep
from zeep.helpers import serialize_object

wsdl, ap_id, ap_pwd, msisdn, msisdn_slow = sys.argv[1:6]
client = zeep.Client(wsdl)

def service(port):
    return client.bind("MSS_SignatureService", port)


def header():
    return {
        "MajorVersion": 1,
        "MinorVersion": 1,
        "AP_Info": {
            "AP_ID": ap_id,
            "AP_TransID": "Z" + uuid.uuid4().hex,
            "AP_PWD": ap_pwd,
            "Instant": datetime.datetime.now(datetime.timezone.utc),
        },
        "MSSP_Info": {"MSSP_ID": {"URI": "http://mssp.test"}},
    }


def signature_req(mode, number):
    return dict(
        header(),
        MessagingMode=mode,
        TimeOut=30,
        MobileUser={"MSISDN": number},
        DataToBeSigned={"_value_1": "Signed through zeep", "MimeType": "text/plain", "Encoding": "UTF-8"},
        DataToBeDisplayed={"_value_1": "zeep test", "MimeType": "text/plain", "Encoding": "UTF-8"},
        SignatureProfile={"mssURI": "http://mss.ficom.fi/TS102204/v1.0.0#signature"},
    )


def status_of(resp):
    return int(resp["Status"]["StatusCode"]["Value"])


out = {}
sig = service("MSS_SignaturePort")
synch = sig.MSS_Signature(MSS_SignatureReq=signature_req("synch", msisdn))
out["synch"] = {"status": status_of(synch), "signature": serialize_object(synch["MSS_Signature"])["Base64Signature"].hex() if synch["MSS_Signature"] is not None else None}

asynch = sig.MSS_Signature(MSS_SignatureReq=signature_req("asynchClientServer", msisdn_slow))
trans_id = asynch["MSSP_TransID"]
out["asynch"] = {"status": status_of(asynch), "msspTransId": trans_id}

status = service("MSS_StatusQueryPort")
seen = []
for _ in range(50):
    resp = status.MSS_StatusQuery(MSS_StatusReq=dict(header(), MSSP_TransID=trans_id))
    seen.append(status_of(resp))
    if seen[-1] != 504:
        break
    time.sleep(0.1)
out["statusQuery"] = {"first": seen[0], "last": seen[-1]}

receipt = service("MSS_ReceiptPort")
r = receipt.MSS_Receipt(MSS_ReceiptReq=dict(header(), MSSP_TransID=trans_id, MobileUser={"MSISDN": msisdn_slow}, Message={"_value_1": "Thanks from zeep", "MimeType": "text/plain"}))
out["receipt"] = {"status": status_of(r)}

profile = service("MSS_ProfileQueryPort")
p = profile.MSS_ProfileQuery(MSS_ProfileReq=dict(header(), MobileUser={"MSISDN": msisdn}))
out["profileQuery"] = {"status": status_of(p), "profiles": [x["mssURI"] for x in (p["SignatureProfile"] or [])]}

try:
    sig.MSS_Signature(MSS_SignatureReq=signature_req("synch", "+37255509999"))
    out["fault"] = None
except zeep.exceptions.Fault as fault:
    out["fault"] = {"code": fault.code, "subcodes": [str(s) for s in (fault.subcodes or [])], "message": fault.message}

print(json.dumps(out))
