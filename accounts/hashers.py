"""Password hashing: Argon2id at OWASP's baseline.

Django's default, PBKDF2 at 1.5 million iterations, costs about half a second of a core per
sign-in; on deadline morning the sign-in wave alone filled the machine (bench/load.py).
Argon2id is OWASP's first choice and is memory-hard, so it costs a GPU attacker more per guess
while costing the server about a tenth. The parameters are OWASP's Password Storage Cheat
Sheet's first row (m=19 MiB, t=2, p=1), which it rates as strong as its PBKDF2 figure.
"""

from django.contrib.auth.hashers import Argon2PasswordHasher


class Argon2idOwaspHasher(Argon2PasswordHasher):
    # Same algorithm name as Django's hasher: stored hashes carry their own parameters, so
    # either class verifies them and must_update() re-hashes any with other parameters.
    time_cost = 2
    memory_cost = 19 * 1024  # KiB
    parallelism = 1
