-- Name macros the matching SQL shares (TEMP: they live only on the matching connection).
-- Produces: drug_name_key(text)   'Injection, Rituximab-ARRX, biosimilar, 10 mg' -> 'rituximab-arrx'
--           name_suffixes(key)    'datopotamab deruxtecan-dlnk' -> ['dlnk'] (FDA 4-letter suffixes)
--           blocking_tokens(key)  'fam-trastuzumab deruxtecan-nxki' -> ['trast', 'derux']
-- From: nothing but their arguments. The key drops case, (R)/(TM)/NBSP, dose amounts, salt
-- words (sodium, hydrochloride, acetate...) and filler words (injection, biosimilar, for...),
-- so rapidfuzz compares what identifies the drug. Suffixes must agree exactly between a
-- practice name and a CMS name (rituximab-arrx never meets rituximab-abbs or rituximab).
-- Blocking tokens are the word openings (first 5 letters) two names must share before they
-- are compared at all: INN prefixes tell drugs apart, and a typo later in the word
-- ('rituxumab') still reaches rapidfuzz.
-- Example: SELECT drug_name_key('Tocilizumab-aazg (Tyenne) 20 mg/mL'),
--                 name_suffixes(drug_name_key('tocilizumab-aazg'));

CREATE OR REPLACE TEMP MACRO drug_name_key(t) AS
    trim(regexp_replace(regexp_replace(regexp_replace(regexp_replace(regexp_replace(
        lower(replace(replace(replace(coalesce(t, ''), chr(160), ' '), chr(174), ' '), chr(8482), ' ')),
        '\((r|tm)\)', ' ', 'g'),
        '[0-9]+(\.[0-9]+)?\s*(mg|mcg|microgram|micrograms|milligrams?|g|ml|cc|units?|iu|meq|mci)\b(\s*/\s*[a-z]+)?',
        ' ', 'g'),
        '\b(injection|injectable|inj|instillation|biosimilar|excludes|for|and|of|the|with|per|up|to|'
        || 'sodium|disodium|potassium|calcium|magnesium|hydrochloride|dihydrochloride|hcl|'
        || 'acetate|sulfate|phosphate|citrate|mesylate|tartrate|bitartrate|maleate|succinate|'
        || 'chloride|bromide|besylate|fumarate|hyclate|lactate|gluconate|tromethamine|'
        || 'dihydrate|monohydrate|trihydrate|anhydrous|base|salt)\b', ' ', 'g'),
        '[^a-z0-9-]+|(^|\s)-+|-+(\s|$)', ' ', 'g'),
        '\s+', ' ', 'g'));

CREATE OR REPLACE TEMP MACRO name_suffixes(key) AS
    list_sort(regexp_extract_all(key, '-([a-z]{4})\b', 1));

CREATE OR REPLACE TEMP MACRO blocking_tokens(key) AS
    list_distinct(list_transform(list_filter(
        string_split(regexp_replace(regexp_replace(key, '-[a-z]{4}\b', ' ', 'g'), '-', ' ', 'g'), ' '),
        lambda w: length(w) >= 4 AND NOT regexp_matches(w, '^[0-9]')
            AND w NOT IN ('alfa', 'beta', 'human', 'factor', 'recombinant', 'immune', 'globulin',
                          'toxin', 'vaccine', 'acid', 'hyaluronidase', 'liposome', 'liposomal',
                          'protein', 'conjugate', 'pegylated', 'dose', 'solution', 'therapeutic',
                          'intravenous', 'subcutaneous', 'intramuscular', 'oral', 'topical',
                          'system', 'each', 'unit', 'units', 'extended', 'release', 'powder',
                          'vial', 'infusion', 'hospitalized', 'patients', 'adult', 'adults')),
        lambda w: left(w, 5)));
