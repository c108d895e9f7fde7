"""How passwords are hashed: Argon2id at OWASP's minimum cost.

OWASP's Password Storage Cheat Sheet: Argon2id with at least 19 MiB of memory, 2 iterations and
1 degree of parallelism. Django's own Argon2 settings (100 MiB, 8 lanes) cost ~240 ms and 100 MiB
per hash here: a few simultaneous logins would push a worker far past its memory target
(BENCHMARKS.md). These cost ~25 ms and 19 MiB, and resist GPU cracking far better than PBKDF2,
whose 1 000 000 iterations cost 250–500 ms a login on this machine. The algorithm's name stays
Django's "argon2": a hash made with other parameters (Django's) is upgraded at the next login,
as are PBKDF2 hashes (config/settings.py keeps PBKDF2 after this hasher).
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idHasher(Argon2PasswordHasher):
    time_cost = 2
    memory_cost = 19 * 1024  # KiB: 19 MiB
    parallelism = 1
