"""The four stages of the procedure, in its order: the only list the wizard, the landing page and
the connected home read (each stage is defined by its app: core/stages.py says what it tells)."""

from banking.stage import STAGE as BANKING
from mandates.stage import STAGE as MANDATE
from structures.stage import STAGE as STRUCTURE

from .stage import STAGE as ACCOUNT

STAGES = [ACCOUNT, STRUCTURE, BANKING, MANDATE]
