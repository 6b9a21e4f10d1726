"""Receivers encrypted as the platforms deliver them, and their decrypt APIs with quotas.

Off by default (the synth renderers' plaintext stays what the existing tests read); with
``encrypt_receivers`` every rendered order hides its receiver the platform's way:

* Taobao: name, mobile and address masked, plus an ``oaid`` (one per receiver: the same name,
  phone and address give the same OAID, which is what ``taobao.top.oaid.merge`` relies on);
  ``taobao.top.oaid.decrypt`` answers from it.
* PDD: ``receiver_name``/``receiver_phone``/``receiver_address``/``address`` as ciphertext next
  to the existing ``*_mask`` fields; ``pdd.open.decrypt.batch``.
* Douyin: ``encrypt_post_receiver``, ``encrypt_post_tel``, ``post_addr.encrypt_detail`` and
  ``mask_post_*``; ``order.batchDecrypt`` (300008 when some items fail).
* JD: ``consigneeInfo`` name, phones and address as TDE ciphertext under the shop's key;
  ``jingdong.jos.voucher.info.get`` and ``jingdong.jos.master.key.get`` hand out the key.

The simulator's ciphertext is deterministic (the same clear value gives the same ciphertext on
one platform), like the searchable part of the real formats; whether the real full ciphertexts
are is [U].  Quotas: ``quota_per_minute`` / ``quota_per_day`` per platform count decrypt calls
(JD: key fetches) and answer each platform's rate-limit error once spent.  This module is the
simulator's own code: it shares no cryptography with the connectors.
"""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from .gateway import Call, Rejection

DECRYPT_APIS = frozenset({"taobao.top.oaid.decrypt", "pdd.open.decrypt.batch",
                          "order.batchDecrypt", "jingdong.jos.master.key.get"})
PDD_LIMIT, TOP_LIMIT, DOUYIN_LIMIT = 100, 20, 50
DOUYIN_PARTIAL = 300008


@dataclass
class PrivacySettings:
    encrypt_receivers: bool = False
    #: decrypt calls allowed per platform per minute / per (simulated) day; None: unlimited
    quota_per_minute: dict[str, int] = field(default_factory=dict)
    quota_per_day: dict[str, int] = field(default_factory=dict)


class Privacy:
    """The simulated platforms' PII vault: ciphers, OAIDs and decrypt quotas."""

    def __init__(self, seed: Any = 1, settings: PrivacySettings | None = None) -> None:
        self.settings = settings or PrivacySettings()
        self.secret = hashlib.sha256(f"orderhub-sim-pii:{seed}".encode()).digest()
        self.jd_key_id = hashlib.md5(self.secret).digest()  # noqa: S324 - an id, not security
        self.jd_key = hashlib.sha256(self.secret + b"jd").digest()[:16]
        self.oaids: dict[str, dict[str, str]] = {}
        self.calls: dict[str, list[float]] = {}
        self.decrypted = 0
        self._lock = threading.Lock()

    # -- quotas ----------------------------------------------------------------------------

    def spend(self, platform: str, now: float | None = None) -> None:
        """Count one decrypt call; raise the platform's rate-limit answer when spent."""
        now = time.time() if now is None else now
        per_minute = self.settings.quota_per_minute.get(platform)
        per_day = self.settings.quota_per_day.get(platform)
        with self._lock:
            seen = self.calls.setdefault(platform, [])
            day = now - now % 86400
            seen[:] = [t for t in seen if t >= day]
            if per_day is not None and len(seen) >= per_day:
                raise Rejection("rate_limit", "decrypt quota for today is spent")
            if per_minute is not None and sum(1 for t in seen if t > now - 60) >= per_minute:
                raise Rejection("rate_limit", "decrypt quota for this minute is spent")
            seen.append(now)

    # -- ciphers ---------------------------------------------------------------------------

    def _aes(self, text: str, key: bytes) -> tuple[bytes, bytes]:
        iv = hmac.new(key, text.encode(), hashlib.sha256).digest()[:16]
        padder = padding.PKCS7(128).padder()
        body = padder.update(text.encode()) + padder.finalize()
        enc = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
        return iv, enc.update(body) + enc.finalize()

    def _unaes(self, iv: bytes, body: bytes, key: bytes) -> str:
        dec = Cipher(algorithms.AES(key), modes.CBC(iv)).decryptor()
        unpad = padding.PKCS7(128).unpadder()
        return (unpad.update(dec.update(body) + dec.finalize()) + unpad.finalize()).decode()

    def seal(self, text: str | None, mark: str) -> str | None:
        """PDD/Douyin layout: ``{mark}{index}{mark}{cipher}{mark}1{mark}{mark}`` [U]."""
        if not text:
            return text
        key = self.secret[:16]
        iv, body = self._aes(text, key)
        index = base64.b64encode(hmac.new(self.secret, text.encode(), hashlib.sha1)
                                 .digest()[:9]).decode().replace("+", "-").replace("/", "_")
        cipher = base64.b64encode(iv + body).decode()
        return f"{mark}{index}{mark}{cipher}{mark}1{mark}{mark}"

    def unseal(self, value: str) -> str:
        mark = value[:1]
        parts = value.split(mark)
        if mark not in "$~#" or len(parts) < 4:
            raise ValueError("not a ciphertext")
        blob = base64.b64decode(parts[2])
        return self._unaes(blob[:16], blob[16:], self.secret[:16])

    def tde(self, text: str | None) -> str | None:
        if not text:
            return text
        iv, body = self._aes(text, self.jd_key)
        return base64.b64encode(b"\x01" + self.jd_key_id + iv + body).decode()

    def oaid(self, receiver: dict[str, str]) -> str:
        digest = hmac.new(self.secret, json.dumps(receiver, sort_keys=True,
                                                  ensure_ascii=False).encode(), hashlib.sha256)
        oaid = "1" + digest.hexdigest()[:31]
        with self._lock:
            self.oaids[oaid] = receiver
        return oaid

    # -- what a platform shows -------------------------------------------------------------

    def protect(self, platform: str, record: dict[str, Any]) -> dict[str, Any]:
        if not self.settings.encrypt_receivers:
            return record
        r = copy.deepcopy(record)
        getattr(self, "_protect_" + platform)(r)
        return r

    def _protect_taobao(self, r: dict[str, Any]) -> None:
        clear = {k: r.get(k) or "" for k in ("receiver_name", "receiver_mobile", "receiver_phone",
                                             "receiver_state", "receiver_city",
                                             "receiver_district", "receiver_town",
                                             "receiver_address")}
        r["oaid"] = self.oaid(clear)
        name, mobile = clear["receiver_name"], clear["receiver_mobile"]
        r["receiver_name"] = name[:1] + "**" if name else name
        r["receiver_mobile"] = f"{mobile[:3]}****{mobile[-4:]}" if mobile else mobile
        r["receiver_phone"] = None
        r["receiver_address"] = "****"

    def _protect_pdd(self, r: dict[str, Any]) -> None:
        r["receiver_name"] = self.seal(r.get("receiver_name"), "~")
        r["receiver_phone"] = self.seal(r.get("receiver_phone"), "$")
        r["receiver_address"] = self.seal(r.get("receiver_address"), "~")
        r["address"] = self.seal(r.get("address"), "~")

    def _protect_douyin(self, r: dict[str, Any]) -> None:
        r["encrypt_post_receiver"] = self.seal(r.pop("post_receiver", None), "#")
        r["encrypt_post_tel"] = self.seal(r.pop("post_tel", None), "$")
        addr = r.get("post_addr") or {}
        detail = addr.pop("detail", None)
        addr["encrypt_detail"] = self.seal(detail, "#")
        r["mask_post_addr"] = {"detail": "****" if detail else None}

    def _protect_jd(self, r: dict[str, Any]) -> None:
        c = r.get("consigneeInfo") or {}
        for k in ("fullname", "telephone", "mobile", "fullAddress"):
            c[k] = self.tde(c.get(k))


def _list(value: Any) -> list[Any]:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise Rejection("parameter", "not JSON") from None
    if not isinstance(value, list):
        raise Rejection("parameter", "a list is expected")
    return value


class DecryptApis:
    """The decrypt APIs of one gateway (each platform answers only its own)."""

    def __init__(self, gateway: Any, privacy: Privacy) -> None:
        self.gateway = gateway
        self.platform: str = gateway.platform
        self.privacy = privacy
        #: paths of their own (Douyin routes each method by path)
        self.routes: tuple[str, ...] = ("/order/batchDecrypt",) if self.platform == "douyin" \
            else ()

    def handler(self, api: str) -> Any:
        return getattr(self, "api_" + api.replace(".", "_"), None)

    def _spend(self, api: str) -> None:
        expected = {"taobao": "taobao.top.oaid.decrypt", "pdd": "pdd.open.decrypt.batch",
                    "douyin": "order.batchDecrypt", "jd": "jingdong.jos.master.key.get"}
        if expected.get(self.platform) != api:
            raise Rejection("parameter", f"unknown API {api}")
        self.privacy.spend(self.platform, self.gateway.world.clock.now())

    def api_taobao_top_oaid_decrypt(self, call: Call, entry: dict[str, Any]) -> Any:
        query = _list(call.business.get("query_list"))
        if not query or len(query) > TOP_LIMIT:
            raise Rejection("parameter", f"query_list: 1..{TOP_LIMIT} items")
        self._spend(call.api)
        out = []
        for q in query:
            clear = self.privacy.oaids.get(str(q.get("oaid")))
            if clear is None or not q.get("scene"):
                out.append({"tid": q.get("tid"), "oaid": q.get("oaid"), "matched": False})
                continue
            self.privacy.decrypted += 1
            out.append({"tid": q.get("tid"), "oaid": q.get("oaid"), "matched": True,
                        "name": clear["receiver_name"], "mobile": clear["receiver_mobile"],
                        "phone": clear["receiver_phone"], "state": clear["receiver_state"],
                        "city": clear["receiver_city"], "district": clear["receiver_district"],
                        "town": clear["receiver_town"],
                        "address_detail": clear["receiver_address"]})
        return {"top_oaid_decrypt_response": {"receiver_list": {"receiver": out}}}

    def api_pdd_open_decrypt_batch(self, call: Call, entry: dict[str, Any]) -> Any:
        data = _list(call.business.get("data_list"))
        if not data or len(data) > PDD_LIMIT:
            raise Rejection("parameter", f"data_list: 1..{PDD_LIMIT} items")
        self._spend(call.api)
        types = {"~": 5, "$": 6}
        out = []
        for d in data:
            cipher = str(d.get("encrypted_data") or "")
            try:
                text, code = self.privacy.unseal(cipher), 0
            except (ValueError, TypeError):
                text, code = None, 1000
            self.privacy.decrypted += text is not None
            out.append({"data_tag": d.get("data_tag"), "encrypted_data": cipher,
                        "decrypted_data": text, "data_type": types.get(cipher[:1], 7),
                        "error_code": code})
        return {"open_decrypt_batch_response": {"data_decrypt_list": out}}

    def api_order_batchDecrypt(self, call: Call, entry: dict[str, Any]) -> Any:  # noqa: N802
        infos = _list(call.business.get("cipher_infos"))
        if not infos or len(infos) > DOUYIN_LIMIT:
            raise Rejection("parameter", f"cipher_infos: 1..{DOUYIN_LIMIT} items")
        self._spend(call.api)
        out, failed = [], 0
        for c in infos:
            cipher = str(c.get("cipher_text") or "")
            try:
                text, err = self.privacy.unseal(cipher), 0
            except (ValueError, TypeError):
                text, err = "", 300008
                failed += 1
            self.privacy.decrypted += bool(text)
            out.append({"auth_id": c.get("auth_id"), "cipher_text": cipher,
                        "decrypt_text": text, "err_no": err, "is_virtual_tel": False,
                        "data_type": {"$": 3, "#": 2}.get(cipher[:1], 1)})
        body = {"code": 10000, "msg": "success", "data": {"decrypt_infos": out}}
        if failed:
            body.update(code=DOUYIN_PARTIAL, msg="部分解密失败", sub_code="isv.partial-failure")
        return body

    def api_jingdong_jos_voucher_info_get(self, call: Call, entry: dict[str, Any]) -> Any:
        voucher = base64.b64encode(hashlib.sha256(self.privacy.secret + b"voucher")
                                   .digest()).decode()
        return {"jingdong_jos_voucher_info_get_responce": {"response": {
            "code": 0, "data": {"voucher": voucher, "service": "sim-tde",
                                "expire": int(time.time()) + 86400}}}}

    def api_jingdong_jos_master_key_get(self, call: Call, entry: dict[str, Any]) -> Any:
        self._spend(call.api)
        return {"jingdong_jos_master_key_get_responce": {"response": {
            "status_code": 0, "service_key_list": [{"service": "sim-tde",
                                                    "current_key_version": 1, "keys": [{
                "id": base64.b64encode(self.privacy.jd_key_id).decode(),
                "key_string": base64.b64encode(self.privacy.jd_key).decode(),
                "key_status": 0, "version": 1}]}]}}}
