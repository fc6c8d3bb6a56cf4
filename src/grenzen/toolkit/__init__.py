"""The policy writers' toolkit: examples and coverage, controleer's analysis, verschil, beleid, tabel and schema."""

#: The folder of a policy that holds its editor help (``_schema``); here so that ``controleer`` sees whether a policy
#: has one without importing ``_schema``.
SCHEMA_DIR = "schema"
