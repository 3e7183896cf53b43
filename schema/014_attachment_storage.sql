-- The files the outbox sends are read back 256 KiB at a time with substring()
-- (daemon/store/attachment.c). A compressed value is inflated whole for every such piece, so
-- files are kept uncompressed out of line: workbooks are zip files already, and a PDF's
-- streams are mostly compressed too, so little space is lost. Rows kept before this keep their
-- storage until rewritten.
ALTER TABLE mail_attachment ALTER COLUMN data SET STORAGE EXTERNAL;
