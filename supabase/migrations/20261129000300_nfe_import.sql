-- NF-e import (_shared/nfe/import.ts, _shared/db/xml-imports.ts).
--
-- content_hash: hash of the import's mapping version and the note's raw XML. A re-import whose hash matches
-- the stored one writes nothing (same row, same items, same updated_at); a new mapping version rewrites every
-- note on its next import. Null for rows written by anything else: such a row is rewritten on its next import.
alter table public.xml_imports add column if not exists content_hash text;

comment on column public.xml_imports.content_hash is
  'sha256 (base64) of the import mapping version and raw_xml; set by the NF-e import to skip unchanged notes';
