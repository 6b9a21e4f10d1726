"""The four platforms' decryptors (see :mod:`.decrypt` for batching, limits and quotas).

* Taobao: ``taobao.top.oaid.decrypt``, ``query_list`` of at most 20 ``{oaid, tid, scene}``;
  ``matched=false`` means the OAID is stale (refetch the order) and counts as failed.
* PDD: ``pdd.open.decrypt.batch``, ``data_list`` of at most 100 ``{data_tag = order_sn,
  encrypted_data}``; ``data_type`` 5 name, 6 phone, 7 full address, 8 detail.
* Douyin: ``order.batchDecrypt``, ``cipher_infos`` of at most 50 ``{auth_id = order id,
  cipher_text}``; code 300008 is a partial failure (each item's ``err_no`` says which).
* JD: TDE.  ``jingdong.jos.voucher.info.get`` gives a voucher, ``jingdong.jos.master.key.get``
  the shop's keys; each ciphertext names its key (simplified layout, [U]: version byte 1,
  16-byte key id, 16-byte IV, AES-CBC/PKCS7 body, base64) and is decrypted locally.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Callable, Iterator
from datetime import UTC
from typing import Any, ClassVar

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from . import douyin, jd, pdd
from .base import PlatformClient, Record
from .decrypt import (
    BatchDecryptor,
    DecryptQuota,
    Revealed,
    Sealed,
    as_json,
    chunks,
    rate_limit_precheck,
)
from .pii import ClearReceiver, PiiSettings, is_cipher
from .transforms import as_phone


def _phone(value: Any) -> str | None:
    return None if value in (None, "") else as_phone(value, UTC)


def _get(record: Record, path: str) -> Any:
    value: Any = record
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


class TaobaoDecryptor(BatchDecryptor):
    platform = "taobao"
    LIMIT: ClassVar[int] = 20
    API: ClassVar[str] = "taobao.top.oaid.decrypt"

    def needs(self, raw: Record) -> bool:
        return bool(raw.get("oaid"))

    def batches(self, orders: list[Sealed]) -> Iterator[list[Sealed]]:
        return chunks(orders, self.LIMIT)

    def call(self, batch: list[Sealed]) -> Revealed:
        query = [{"oaid": o.raw["oaid"], "tid": str(o.raw.get("tid_str") or o.raw.get("tid")),
                  "scene": self.settings.taobao_scene} for o in batch]
        body = self.client.call(self.API, {"query_list": as_json(query)},
                                precheck=rate_limit_precheck("taobao", frozenset({"7"})))
        listed = (body.get("top_oaid_decrypt_response") or {}).get("receiver_list") or []
        if isinstance(listed, dict):
            listed = listed.get("receiver") or []
        by_tid = {str(r.get("tid")): r for r in listed}
        out = Revealed(calls=1)
        for o in batch:
            r = by_tid.get(str(o.raw.get("tid_str") or o.raw.get("tid")))
            if r is None or r.get("matched") is False:
                out.failed[o.key] = "oaid not matched (refetch the order)"
                continue
            phone = _phone(r.get("mobile") or r.get("phone"))
            out.clear[o.key] = ClearReceiver(r.get("name"), phone, r.get("address_detail"))
        return out


class PddDecryptor(BatchDecryptor):
    platform = "pdd"
    LIMIT: ClassVar[int] = 100
    API: ClassVar[str] = "pdd.open.decrypt.batch"
    #: field -> (data_type, what it becomes); receiver_address is the full address (7)
    FIELDS: ClassVar[dict[str, tuple[int, str]]] = {
        "receiver_name": (5, "name"), "receiver_phone": (6, "phone"),
        "receiver_address": (7, "address")}

    def needs(self, raw: Record) -> bool:
        return any(is_cipher(raw.get(f)) for f in self.FIELDS)

    def batches(self, orders: list[Sealed]) -> Iterator[list[Sealed]]:
        per = len(self.FIELDS)
        return chunks(orders, self.LIMIT // per)

    def call(self, batch: list[Sealed]) -> Revealed:
        data = [{"data_tag": o.order_no, "encrypted_data": o.raw[f]}
                for o in batch for f in self.FIELDS if is_cipher(o.raw.get(f))]
        body = self.client.call(self.API, {"data_list": as_json(data)},
                                precheck=rate_limit_precheck("pdd", pdd.CODES.rate_limit))
        answer = (body.get("open_decrypt_batch_response") or {}).get("data_decrypt_list") or []
        plain = {(str(a.get("data_tag")), a.get("encrypted_data")): a for a in answer}
        fields = {f: what for f, (_, what) in self.FIELDS.items()}
        return _reveal(batch, fields, lambda raw, f: raw.get(f), plain,
                       error="error_code", text="decrypted_data")


class _Partial(Exception):  # noqa: N818 - carries Douyin's 300008 answer past the check
    def __init__(self, body: Any) -> None:
        super().__init__("partial")
        self.body = body


class DouyinDecryptor(BatchDecryptor):
    platform = "douyin"
    LIMIT: ClassVar[int] = 50
    API: ClassVar[str] = "order.batchDecrypt"
    PARTIAL: ClassVar[int] = 300008
    FIELDS: ClassVar[dict[str, str]] = {"encrypt_post_receiver": "name",
                                        "encrypt_post_tel": "phone",
                                        "post_addr.encrypt_detail": "address"}

    def needs(self, raw: Record) -> bool:
        return any(is_cipher(_get(raw, f)) for f in self.FIELDS)

    def batches(self, orders: list[Sealed]) -> Iterator[list[Sealed]]:
        return chunks(orders, self.LIMIT // len(self.FIELDS))

    def call(self, batch: list[Sealed]) -> Revealed:
        infos = [{"auth_id": o.order_no, "cipher_text": _get(o.raw, f)}
                 for o in batch for f in self.FIELDS if is_cipher(_get(o.raw, f))]
        quota = rate_limit_precheck("douyin", douyin.CODES.rate_limit)

        def check(body: Any) -> None:
            if isinstance(body, dict) and str(body.get("code")) == str(self.PARTIAL):
                raise _Partial(body)
            quota(body)
        try:
            body = self.client.call(self.API, {"cipher_infos": infos}, precheck=check)
        except _Partial as partial:
            body = partial.body
        answer = (body.get("data") or {}).get("decrypt_infos") or []
        plain = {(str(a.get("auth_id")), a.get("cipher_text")): a for a in answer}
        return _reveal(batch, self.FIELDS, _get, plain, error="err_no", text="decrypt_text")


def _reveal(batch: list[Sealed], fields: dict[str, str], cipher_of: Callable[[Record, str], Any],
            plain: dict[tuple[str, Any], dict[str, Any]], *, error: str, text: str) -> Revealed:
    """Match a batch-decrypt answer (keyed by order number and ciphertext) to each order's
    sealed fields; an order with any field refused or missing fails whole."""
    out = Revealed(calls=1)
    for o in batch:
        got: dict[str, Any] = {}
        for f, what in fields.items():
            cipher = cipher_of(o.raw, f)
            if not is_cipher(cipher):
                continue
            a = plain.get((o.order_no, cipher))
            if a is None or a.get(error) not in (None, 0, "0"):
                out.failed[o.key] = f"{f}: {error} {a and a.get(error)}"
                break
            got[what] = a.get(text)
        else:
            out.clear[o.key] = ClearReceiver(got.get("name"), _phone(got.get("phone")),
                                             got.get("address"))
    return out


def tde_decrypt(cipher_b64: str, keys: dict[bytes, bytes]) -> str:
    """A TDE ciphertext (simplified layout, see the module doc) with the key it names."""
    blob = base64.b64decode(cipher_b64)
    if len(blob) < 49 or blob[0] != 1:
        raise ValueError("not a TDE ciphertext")
    key = keys.get(blob[1:17])
    if key is None:
        raise KeyError(base64.b64encode(blob[1:17]).decode())
    dec = Cipher(algorithms.AES(key), modes.CBC(blob[17:33])).decryptor()
    padded = dec.update(blob[33:]) + dec.finalize()
    unpadder = padding.PKCS7(128).unpadder()
    return (unpadder.update(padded) + unpadder.finalize()).decode("utf-8")


class JdDecryptor(BatchDecryptor):
    """JD's TDE: keys fetched once (and again when a ciphertext names an unknown key)."""

    platform = "jd"
    FIELDS: ClassVar[dict[str, str]] = {"consigneeInfo.fullname": "name",
                                        "consigneeInfo.mobile": "phone",
                                        "consigneeInfo.fullAddress": "address"}

    def __init__(self, client: PlatformClient, settings: PiiSettings | None = None) -> None:
        super().__init__(client, settings)
        self.keys: dict[bytes, bytes] = {}
        self._lock = threading.Lock()

    def needs(self, raw: Record) -> bool:
        return any(is_cipher(_get(raw, f)) for f in self.FIELDS)

    def batches(self, orders: list[Sealed]) -> Iterator[list[Sealed]]:
        return chunks(orders, 500)  # local: one batch only refreshes keys at most once

    def fetch_keys(self) -> int:
        check = rate_limit_precheck("jd", jd.CODES.rate_limit)
        voucher = self.client.call("jingdong.jos.voucher.info.get", {}, precheck=check)
        data = voucher["jingdong_jos_voucher_info_get_responce"]["response"]["data"]
        answer = self.client.call("jingdong.jos.master.key.get",
                                  {"tid": data["voucher"], "key": self.client.shop.app_key},
                                  precheck=check)
        lists = answer["jingdong_jos_master_key_get_responce"]["response"]["service_key_list"]
        with self._lock:
            for service in lists:
                for k in service.get("keys") or []:
                    if int(k.get("key_status", 0)) in (0, 1):  # 0 active, 1 suspended [U]
                        self.keys[base64.b64decode(k["id"])] = base64.b64decode(k["key_string"])
        return 2

    def call(self, batch: list[Sealed]) -> Revealed:
        out = Revealed()
        if not self.keys:
            out.calls += self.fetch_keys()
        for o in batch:
            got: dict[str, Any] = {}
            try:
                for f, what in self.FIELDS.items():
                    cipher = _get(o.raw, f)
                    if is_cipher(cipher):
                        got[what] = self._one(cipher, out)
            except DecryptQuota:
                raise
            except (ValueError, KeyError) as exc:
                out.failed[o.key] = f"TDE: {type(exc).__name__}"
                continue
            out.clear[o.key] = ClearReceiver(got.get("name"), _phone(got.get("phone")),
                                             got.get("address"))
        return out

    def _one(self, cipher: str, out: Revealed) -> str:
        try:
            return tde_decrypt(cipher, self.keys)
        except KeyError:  # a rotated key: fetch the key list once more
            out.calls += self.fetch_keys()
            return tde_decrypt(cipher, self.keys)


DECRYPTORS: dict[str, type[BatchDecryptor]] = {
    "taobao": TaobaoDecryptor, "pdd": PddDecryptor, "douyin": DouyinDecryptor,
    "jd": JdDecryptor}


def decryptor_for(client: PlatformClient, settings: PiiSettings | None = None) -> BatchDecryptor:
    return DECRYPTORS[client.platform](client, settings)


__all__ = ["DECRYPTORS", "DecryptQuota", "decryptor_for", "tde_decrypt"]
