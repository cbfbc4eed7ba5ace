-- Key escrow (双证书): the encryption certificate the hub's key management centre made for a
-- key, beside its signing certificate. The escrowed private key itself is never stored here:
-- it lives only on the USB key (unwrapped inside it) and, sealed, at the hub's KMC.
ALTER TABLE keys ADD COLUMN enc_cert_serial TEXT;     -- hex serial of the encryption certificate
ALTER TABLE keys ADD COLUMN enc_cert_der BLOB;
ALTER TABLE key_jobs ADD COLUMN enc_cert_der BLOB;    -- received from the KMC in the job
