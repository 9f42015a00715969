// Words that cannot stand as bare identifiers: PostgreSQL 15's keywords of every category but "unreserved"
// (pg_get_keywords() where catcode <> 'U'), and Amazon Redshift's reserved words. One set serves both
// dialects: quoting a name that did not need it changes nothing, leaving one bare that needed it changes the
// query's meaning (`where user is null` tests current_user).
const POSTGRES = `all analyse analyze and any array as asc asymmetric authorization between bigint binary bit boolean both
case cast char character check coalesce collate collation column concurrently constraint create cross
current_catalog current_date current_role current_schema current_time current_timestamp current_user dec decimal
default deferrable desc distinct do else end except exists extract false fetch float for foreign freeze from full
grant greatest group grouping having ilike in initially inner inout int integer intersect interval into is isnull
join lateral leading least left like limit localtime localtimestamp national natural nchar none normalize not
notnull null nullif numeric offset on only or order out outer overlaps overlay placing position precision primary
real references returning right row select session_user setof similar smallint some substring symmetric table
tablesample then time timestamp to trailing treat trim true union unique user using values varchar variadic verbose
when where window with xmlattributes xmlconcat xmlelement xmlexists xmlforest xmlnamespaces xmlparse xmlpi xmlroot
xmlserialize xmltable`;
const REDSHIFT = `aes128 aes256 all allowoverwrite analyse analyze and any array as asc authorization az64 backup between
binary blanksasnull both bytedict bzip2 case cast check collate column constraint create credentials cross
current_date current_time current_timestamp current_user current_user_id default deferrable deflate defrag delta
delta32k desc disable distinct do else emptyasnull enable encode encrypt encryption end except explicit false for
foreign freeze from full globaldict256 globaldict64k grant group gzip having identity ignore ilike in initially
inner intersect interval into is isnull join language leading left like limit localtime localtimestamp lun luns lzo
lzop minus mostly16 mostly32 mostly8 natural new not notnull null nulls off offline offset oid old on only open or
order outer overlaps parallel partition percent permissions pivot placing primary raw readratio recover references
rejectlog resort respect restore right select session_user similar snapshot some sysdate system table tag tdes
text255 text32k then timestamp to top truncatecolumns true union unique unnest unpivot user using verbose wallet when
where with without`;

export const RESERVED_WORDS: ReadonlySet<string> = new Set(`${POSTGRES} ${REDSHIFT}`.split(/\s+/));
