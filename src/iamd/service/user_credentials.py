"""(being built) IAM operations of this area; see service/declare.py for how they are declared."""

OPERATIONS = ()
