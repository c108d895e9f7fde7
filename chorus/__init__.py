"""Our connector to Chorus Pro, the French national e-invoicing portal, through PISTE.

Callers use `chorus.portal` only (see its docstring). Two backends, chosen by `CHORUS_BACKEND`:
"stub" (default: the demo and the tests, an in-process portal kept in this app's tables) and
"piste" (the real API, `chorus/piste.py`).

Getting the credentials, sandbox first, then production
--------------------------------------------------------
The "piste" backend needs two pairs of secrets, set in the environment, never in the repository:

1. A PISTE application: `CHORUS_CLIENT_ID` / `CHORUS_CLIENT_SECRET`.
   - Create an account on PISTE (piste.gouv.fr), the State's API gateway.
   - In its *sandbox* environment, accept the terms of use of the Chorus Pro API, create an
     application and subscribe it to the Chorus Pro API. Its OAuth identifiers (client id and
     secret, grant "client_credentials") are the sandbox pair.
   - For production, do the same in PISTE's *production* environment: another application,
     another pair. A sandbox pair never works in production, nor the reverse.
2. A Chorus Pro technical account: `CHORUS_TECHNICAL_LOGIN` / `CHORUS_TECHNICAL_PASSWORD`.
   - It is not a person's login: the main manager (« gestionnaire principal ») of the structure
     on Chorus Pro asks for an API connection (« raccordement » in API mode) in the portal's
     connection menu; once accepted, the portal creates a technical user (a login of the form
     `TECH_…@cpro.fr`) and its password is chosen there.
   - Sandbox: do it on Chorus Pro's qualification portal, with the test structures made there;
     production: on the real portal, for the real structure. The account must be allowed on
     the structures it deposits for (space « factures émises »).
   - Its password expires (the portal shows the date): renew it before, or every call fails.
3. Set `CHORUS_BACKEND=piste`, `CHORUS_ENVIRONMENT=sandbox` (then `production`), the four
   secrets, and check with `python manage.py chorus_check`: it finds the city's structure
   (`CHORUS_CITY_SIRET`) and lists its services, and says which secret is refused if any.

The portal's names for these steps change with its releases; the AIFE's guides on the Chorus Pro
community site (« Se raccorder à Chorus Pro », « compte technique ») are the reference.
"""
