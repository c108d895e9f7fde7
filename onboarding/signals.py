from django.dispatch import Signal

# Sent once an account has been activated by its e-mailed link (the address is proven).
# Receivers get `user`. Stage apps use it to release what waited for a proven address.
account_activated = Signal()
