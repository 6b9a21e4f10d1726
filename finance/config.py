"""The ``finance:`` section of ``orderhub.yaml``: tolerances, fee bands, accounts, vouchers.

Every field has a default, so a workspace without the section reconciles with sensible figures;
finance staff override only what differs for their shops.
"""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from ..model import Platform


class _Section(BaseModel):
    model_config = ConfigDict(extra="forbid")


class FeeBand(_Section):
    """Expected platform charges (commission + service fees) as a share of settled income."""

    min: Decimal = Field(Decimal("0"), ge=0, le=1)
    max: Decimal = Field(Decimal("0.10"), ge=0, le=1)

    @model_validator(mode="after")
    def _ordered(self) -> FeeBand:
        if self.min > self.max:
            raise ValueError(f"min {self.min} is above max {self.max}")
        return self


class Account(_Section):
    """A general-ledger account: code and name as in the customer's chart of accounts."""

    code: str = Field(min_length=1)
    name: str = ""


def _default_fee_bands() -> dict[Platform, FeeBand]:
    # Tmall commission 2-5 % plus 0.6 % Alipay; PDD 0.6 %; JD 2-10 %; Douyin adds talent
    # commissions that often reach 20-30 %.  Wide defaults: tighten them per shop.
    return {
        Platform.taobao: FeeBand(max=Decimal("0.10")),
        Platform.jd: FeeBand(max=Decimal("0.15")),
        Platform.pdd: FeeBand(max=Decimal("0.05")),
        Platform.douyin: FeeBand(max=Decimal("0.35")),
    }


def _default_accounts() -> dict[str, Account]:
    return {
        "cash": Account(code="1012.01", name="其他货币资金-平台账户"),
        "goods": Account(code="6001", name="主营业务收入"),
        "shipping": Account(code="6051.01", name="其他业务收入-运费"),
        "subsidy": Account(code="6001.02", name="主营业务收入-平台补贴"),
        "commission": Account(code="6601.01", name="销售费用-平台佣金"),
        "service_fee": Account(code="6601.02", name="销售费用-平台服务费"),
        "refund": Account(code="6001", name="主营业务收入"),
        "other": Account(code="6711", name="营业外支出"),
    }


class VoucherOptions(_Section):
    """Header values of generated vouchers."""

    word: str = Field("记", description="凭证字 / 凭证类别字")
    first_number: int = Field(1, ge=1, description="number of the month's first voucher")
    preparer: str = Field("orderhub", description="制单 / 制单人")
    currency_code: str = "RMB"
    currency_name: str = "人民币"


class FinanceConfig(_Section):
    """Reconciliation and voucher settings (``finance:`` in ``orderhub.yaml``)."""

    amount_tolerance: Decimal = Field(
        Decimal("0.05"), ge=0, description="yuan; smaller differences are rounding, not errors"
    )
    no_payout_days: dict[Platform, int] = Field(
        default_factory=lambda: {p: 15 for p in (Platform.taobao, Platform.jd, Platform.pdd,
                                                  Platform.douyin)},
        description="days after shipping (or completion) without any payout before it is "
                    "reported",
    )
    default_no_payout_days: int = Field(15, ge=0)
    overdue_lookback_days: int = Field(
        90, ge=1, description="orders due longer ago than this are no longer reported"
    )
    fee_bands: dict[Platform, FeeBand] = Field(default_factory=_default_fee_bands)
    accounts: dict[str, Account] = Field(
        default_factory=_default_accounts,
        description="cash, goods, shipping, subsidy, commission, service_fee, refund, other; "
                    "cash.<platform> overrides the cash account per platform",
    )
    voucher: VoucherOptions = Field(default_factory=VoucherOptions)
    mappings: str = Field("settlement-mappings",
                          description="workspace folder of extra settlement mappings")
    reports: str = Field("reports/finance", description="where nightly reports are written")

    @model_validator(mode="after")
    def _complete_accounts(self) -> FinanceConfig:
        # A section that names one platform or account keeps the defaults of the others.
        for key, account in _default_accounts().items():
            self.accounts.setdefault(key, account)
        for platform, band in _default_fee_bands().items():
            self.fee_bands.setdefault(platform, band)
        for platform in (Platform.taobao, Platform.jd, Platform.pdd, Platform.douyin):
            self.no_payout_days.setdefault(platform, self.default_no_payout_days)
        return self

    def payout_days(self, platform: str) -> int:
        return self.no_payout_days.get(Platform(platform), self.default_no_payout_days)

    def fee_band(self, platform: str) -> FeeBand:
        return self.fee_bands.get(Platform(platform)) or FeeBand()

    def account(self, key: str, platform: str | None = None) -> Account:
        if platform and f"{key}.{platform}" in self.accounts:
            return self.accounts[f"{key}.{platform}"]
        return self.accounts[key]
