"""The setup page's QR code carries the otpauth address of the user's seed, nothing else."""

from __future__ import annotations

import base64

import pyotp
import qrcode
import qrcode.image.svg

from app.accounts.service.totp import enrolment_for

SEED = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def test_the_qr_code_encodes_the_otpauth_address_of_the_seed() -> None:
    enrolment = enrolment_for(email="claire@example.com", secret=SEED)
    address = pyotp.TOTP(SEED).provisioning_uri(name="claire@example.com", issuer_name="Ponctuel")
    expected = qrcode.make(address, image_factory=qrcode.image.svg.SvgPathImage).to_string()

    assert enrolment.uri == address
    assert enrolment.qr_data_uri == (
        "data:image/svg+xml;base64," + base64.b64encode(expected).decode()
    )
    assert enrolment.grouped_secret == "JBSW Y3DP EHPK 3PXP JBSW Y3DP EHPK 3PXP"
