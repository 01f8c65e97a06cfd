"""The buyer models: `GuestBuyer` and its details; import them from gr4vy_fn.models."""

from __future__ import annotations

from attrs import field, frozen

from ._rules import COUNTRY as _COUNTRY
from ._rules import PHONE as _PHONE
from ._rules import Checked, WireEnum, instance, one_of, rule, shown_in_models, text


class TaxIdKind(WireEnum):
    """The kind of a tax id, by country."""

    AE_TRN = "ae.trn"
    AU_ABN = "au.abn"
    AR_DNI = "ar.dni"
    AR_CUIL = "ar.cuil"
    AR_CUIT = "ar.cuit"
    BR_CNPJ = "br.cnpj"
    BR_CPF = "br.cpf"
    CA_BN = "ca.bn"
    CA_GST_HST = "ca.gst_hst"
    CA_PST_BC = "ca.pst_bc"
    CA_PST_MB = "ca.pst_mb"
    CA_PST_SK = "ca.pst_sk"
    CA_QST = "ca.qst"
    CH_VAT = "ch.vat"
    CL_TIN = "cl.tin"
    CO_ITIN = "co.itin"
    CO_NIT = "co.nit"
    CO_CC = "co.cc"
    CO_CE = "co.ce"
    CO_DE = "co.de"
    CO_RC = "co.rc"
    CO_TI = "co.ti"
    CO_PASSPORT = "co.passport"
    ES_CIF = "es.cif"
    EU_VAT = "eu.vat"
    GB_VAT = "gb.vat"
    HK_BR = "hk.br"
    ID_NIK = "id.nik"
    ID_NPWP = "id.npwp"
    IN_GST = "in.gst"
    IN_PAN = "in.pan"
    JP_CN = "jp.cn"
    JP_RN = "jp.rn"
    KR_BRN = "kr.brn"
    LI_UID = "li.uid"
    MX_CURP = "mx.curp"
    MX_RFC = "mx.rfc"
    MY_FRP = "my.frp"
    MY_ITN = "my.itn"
    MY_NRIC = "my.nric"
    MY_SST = "my.sst"
    NO_VAT = "no.vat"
    NZ_GST = "nz.gst"
    PE_RUC = "pe.ruc"
    PH_TIN = "ph.tin"
    RU_INN = "ru.inn"
    RU_KPP = "ru.kpp"
    SA_VAT = "sa.vat"
    SG_GST = "sg.gst"
    SG_UEN = "sg.uen"
    TH_ID = "th.id"
    TH_VAT = "th.vat"
    TW_VAT = "tw.vat"
    US_EIN = "us.ein"
    ZA_VAT = "za.vat"
    BO_CI = "bo.ci"
    UY_RUT = "uy.rut"
    UY_CI = "uy.ci"


@frozen(kw_only=True, eq=False, repr=False)
class TaxId(Checked):
    """A buyer's tax id."""

    value: str = field(metadata=rule(text(1, 50)))
    kind: TaxIdKind | str = field(metadata=rule(one_of(TaxIdKind)))


@frozen(kw_only=True, eq=False, repr=False)
class Address(Checked):
    """A postal address."""

    city: str | None = field(default=None, metadata=rule(text(1, 100)))
    country: str | None = field(default=None, metadata=rule(_COUNTRY))
    postal_code: str | None = field(default=None, metadata=rule(text(1, 50)))
    state: str | None = field(default=None, metadata=rule(text(1, 255)))
    state_code: str | None = field(default=None, metadata=rule(text(pattern="[A-Z]{2}-[A-Z0-9]{1,3}")))
    house_number_or_name: str | None = field(default=None, metadata=rule(text(1, 255)))
    line1: str | None = field(default=None, metadata=rule(text(1, 255)))
    line2: str | None = field(default=None, metadata=rule(text(1, 255)))
    organization: str | None = field(default=None, metadata=rule(text(1, 255)))


@frozen(kw_only=True, eq=False, repr=False)
class _Contact(Checked):
    """The fields shipping and billing details share, first in both."""

    first_name: str | None = field(default=None, metadata=rule(text(1, 255)))
    last_name: str | None = field(default=None, metadata=rule(text(1, 255)))
    email_address: str | None = field(default=None, metadata=rule(text(1, 320)))
    phone_number: str | None = field(default=None, metadata=rule(_PHONE))
    address: Address | None = field(default=None, metadata=rule(instance(Address)))


@frozen(kw_only=True, eq=False, repr=False)
class ShippingDetails(_Contact):
    """Where and to whom an order ships."""


@frozen(kw_only=True, eq=False, repr=False)
class BillingDetails(_Contact):
    """A buyer's billing contact, address and tax id."""

    tax_id: TaxId | None = field(default=None, metadata=rule(instance(TaxId)))


@frozen(kw_only=True, eq=False, repr=False)
class GuestBuyer(Checked):
    """A buyer given inline, without a stored buyer record."""

    display_name: str | None = field(default=None, metadata=rule(text(1, 200)))
    external_identifier: str | None = field(default=None, metadata=rule(text(1, 200)))
    billing_details: BillingDetails | None = field(default=None, metadata=rule(instance(BillingDetails)))
    account_number: str | None = field(default=None, metadata=rule(text(1, 200)))
    shipping_details: ShippingDetails | None = field(default=None, metadata=rule(instance(ShippingDetails)))


shown_in_models(TaxIdKind, TaxId, Address, ShippingDetails, BillingDetails, GuestBuyer)
