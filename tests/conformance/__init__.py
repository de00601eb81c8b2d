"""Independent OCPP conformance suite (strict ocpp-rpc + typed-ocpp, GUIDE §5)."""
