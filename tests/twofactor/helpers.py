import time
from binascii import unhexlify

from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from twofactor import services

KEY = "3132333435363738393031323334353637383930"  # RFC 6238's test secret, as hex


def app_code(key=KEY, offset_steps=0):
    """The 6 digits an authenticator app shows for `key`, `offset_steps` steps of 30 s from now."""
    totp = TOTP(unhexlify(key), step=30, digits=6)
    totp.time = time.time() + 30 * offset_steps
    return f"{totp.token():06d}"


def give_authenticator(user, key=KEY, recovery_codes=("4f7k9m2p", "abcd2345")):
    """An account whose second factor is an app already set up (and two recovery codes)."""
    TOTPDevice.objects.create(user=user, key=key, name="Ville de Grenoble", confirmed=True)
    device = StaticDevice.objects.create(user=user, name="Codes de secours", confirmed=True)
    for code in recovery_codes:
        StaticToken.objects.create(device=device, token=code)
    user.second_factor = services.METHOD_TOTP
    user.save(update_fields=["second_factor"])
    return user


def age_verification(client, seconds):
    """Pretend the session's last second factor was given `seconds` ago."""
    session = client.session
    session[services.SESSION_VERIFIED_AT] = int(time.time()) - seconds
    session.save()
