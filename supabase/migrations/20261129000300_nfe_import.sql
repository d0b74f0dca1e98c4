-- NF-e import (_shared/nfe/import.ts, _shared/db/xml-imports.ts).
--
-- content_hash: hash of the import's mapping version and the note's raw XML. A re-import whose hash matches
-- the stored one writes nothing (same row, same items, same updated_at); a new mapping version rewrites every
-- note on its next import. Null for rows written by anything else: such a row is rewritten on its next import.
alter table public.xml_imports add column if not exists content_hash text;

comment on column public.xml_imports.content_hash is
  'sha256 (base64) of the import mapping version and raw_xml; set by the NF-e import to skip unchanged notes';

-- raw_xml is most of the bytes the import writes (~9 KB per note, signatures barely compress). lz4 compresses
-- TOASTed values several times faster than the default pglz for about the same size. Only new values are
-- affected; a server built without lz4 keeps pglz.
do $$
begin
  alter table public.xml_imports alter column raw_xml set compression lz4;
  alter table public.xml_import_events alter column raw_xml set compression lz4;
exception when feature_not_supported or invalid_parameter_value then
  raise notice 'lz4 not available on this server: raw_xml keeps the default TOAST compression';
end
$$;
