"""VNPay (protocol 2.1.0): the signed redirect to the payment page, the signed return and IPN."""

from __future__ import annotations

import datetime as dt
from typing import Mapping

from motcua.payments import vnpay as protocol
from motcua.payments.conf import expire_minutes
from motcua.payments.providers.base import BadCallback, GatewayResult, NotConfigured, Outcome, PaymentProvider, register

ANSWERS = {
    Outcome.CONFIRMED: protocol.RSP_OK,
    Outcome.ALREADY_CONFIRMED: protocol.RSP_ALREADY,
    Outcome.NOT_FOUND: protocol.RSP_NOT_FOUND,
    Outcome.WRONG_AMOUNT: protocol.RSP_AMOUNT,
    Outcome.BAD_SIGNATURE: protocol.RSP_SIGNATURE,
    Outcome.MALFORMED: protocol.RSP_UNKNOWN,
}


@register
class VNPay(PaymentProvider):
    name = "vnpay"
    label = "Cổng thanh toán VNPAY"

    def _setting(self, key: str) -> str:
        value = self.options.get(key, "")
        if not value:
            raise NotConfigured(f"MOTCUA_VNPAY_{key.upper()} is not set")
        return value

    def check(self) -> None:
        for key in ("url", "tmn_code", "hash_secret"):
            self._setting(key)

    def redirect_url(self, *, reference: str, amount: int, description: str, return_url: str, client_ip: str,
                     now: dt.datetime) -> str:
        params = {
            "vnp_Version": protocol.VERSION,
            "vnp_Command": "pay",
            "vnp_TmnCode": self._setting("tmn_code"),
            "vnp_Amount": protocol.to_gateway_amount(amount),
            "vnp_CurrCode": "VND",
            "vnp_TxnRef": reference,
            "vnp_OrderInfo": protocol.ascii_text(description),
            "vnp_OrderType": "other",
            "vnp_Locale": "vn",
            "vnp_ReturnUrl": return_url,
            "vnp_IpAddr": client_ip or "127.0.0.1",
            "vnp_CreateDate": protocol.stamp(now),
            "vnp_ExpireDate": protocol.stamp(now + dt.timedelta(minutes=expire_minutes())),
        }
        base = self._setting("url")
        return f"{base}{'&' if '?' in base else '?'}{protocol.signed_query(params, self._setting('hash_secret'))}"

    def read_callback(self, params: Mapping[str, str]) -> GatewayResult:
        params = {k: v for k, v in params.items() if k.startswith("vnp_")}
        if not protocol.verify(params, self._setting("hash_secret")):
            raise BadCallback(Outcome.BAD_SIGNATURE, "vnp_SecureHash does not match")
        if params.get("vnp_TmnCode") != self._setting("tmn_code"):
            raise BadCallback(Outcome.MALFORMED, "vnp_TmnCode is not ours")
        reference = params.get("vnp_TxnRef", "")
        try:
            amount = protocol.from_gateway_amount(params.get("vnp_Amount", ""))
        except ValueError:
            raise BadCallback(Outcome.MALFORMED, "vnp_Amount unreadable") from None
        if not reference:
            raise BadCallback(Outcome.MALFORMED, "vnp_TxnRef missing")
        response = params.get("vnp_ResponseCode", "")
        status = params.get("vnp_TransactionStatus", "")
        evidence = {k: v for k, v in params.items() if k not in protocol.HASH_FIELDS}
        return GatewayResult(
            reference=reference, amount=amount,
            # both codes must say so: the response code alone can be 00 for a transaction still pending at the bank
            paid=response == protocol.SUCCESS and status == protocol.SUCCESS,
            cancelled=response == protocol.CANCELLED,
            transaction_no=params.get("vnp_TransactionNo", "")[:40], response_code=response[:4], params=evidence)

    def answer(self, outcome: Outcome) -> dict:
        code = ANSWERS[outcome]
        return {"RspCode": code, "Message": protocol.RSP_MESSAGES[code]}
