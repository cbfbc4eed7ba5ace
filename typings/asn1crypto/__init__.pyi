# Partial stubs for asn1crypto 1.5 (the package ships no type information). They cover what
# the kiosk and the hub use: value loading and DER dumping, the core types the SESeal object is
# built from, and the key, algorithm and CSR classes. Values read out of a structure stay `Any`
# (asn1crypto decides their class from the schema at run time).
