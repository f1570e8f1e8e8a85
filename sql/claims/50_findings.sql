-- claim_findings for one checked file ($file_id): every rule of docs/claims.md as one SELECT
-- per finding, each with its severity and a message that says why in plain words. A date
-- range (RD8, or an export's To date) is billed on each of its days: a code that ended
-- before its last day, a permanent code that starts within it (noc_lines.range_crosses),
-- a modifier ended by its last day are findings with the days named.
-- Produces: rows in claim_findings (amounts at risk are added by 60_amounts.sql).
-- From: line_facts, noc_lines, line_units, hcpcs_history (modifiers); $admin_text names the
--   administration codes (data/admin-codes.csv), $releases_text the loaded HCPCS releases, $file_kind the file's
--   kind (an 837P's LIN03 is the NDC as sent: 11 digits, nothing else; an export may show
--   it hyphenated, as practice systems display it).
-- Example: SELECT finding, severity, count(*) FROM claim_findings WHERE file_id = 1
--          GROUP BY ALL ORDER BY 3 DESC;

INSERT INTO claim_findings BY NAME
WITH discarded AS (
    -- the JW lines (an amount discarded) of each claim, by code and date: CMS's waste policy
    -- puts the administered amount on a line with neither JW nor JZ beside them
    SELECT claim_seq, hcpcs, date_of_service, min(line_no) AS jw_line
    FROM line_facts WHERE is_wastage GROUP BY ALL
),
modifier_dates AS (
    -- a HCPCS modifier billed outside its validity (JG ended 2024-12-31), with the modifier
    -- that replaced it: its XREF, else the modifier with the same descriptor that day (TB)
    SELECT line_seq, string_agg(
        CASE WHEN last_day > valid_to
             THEN printf('%s ended %s (HCPCS TERM DT)%s', modifier,
                         strftime(valid_to, '%Y-%m-%d'),
                         CASE WHEN replaced_by IS NOT NULL
                              THEN printf('; %s replaces it (HCPCS XREF)', replaced_by)
                              WHEN namesake IS NOT NULL
                              THEN printf('; %s has the same HCPCS descriptor and applies on '
                                          'that date', namesake) ELSE '' END)
             ELSE printf('%s applies only from %s (HCPCS ADD DT)', modifier,
                         strftime(valid_from, '%Y-%m-%d')) END, '; ' ORDER BY modifier)
        AS faults
    FROM (
        SELECT m.*, h.valid_from, h.valid_to, h.replaced_by,
            (SELECT min(r.code) FROM hcpcs_history r
             WHERE r.is_modifier AND r.long_description = h.long_description
               AND r.code <> h.code AND m.last_day >= r.valid_from
               AND (r.valid_to IS NULL OR m.last_day <= r.valid_to)) AS namesake
        FROM (SELECT line_seq, date_of_service,
                     coalesce(dos_through, date_of_service) AS last_day,
                     unnest(modifiers) AS modifier
              FROM line_facts) m
        JOIN hcpcs_history h ON h.is_modifier AND h.code = m.modifier
        WHERE m.last_day > h.valid_to OR m.date_of_service < h.valid_from
    )
    GROUP BY line_seq
),
lines AS (
    SELECT l.*, strftime(l.date_of_service, '%Y-%m-%d') AS dos,
        n.names_drug,
        coalesce(n.drug_label, l.crosswalk_drug, 'the drug of NDC ' || l.ndc_raw, 'the drug')
            AS drug_label,
        n.verdict, n.code AS identified_code, n.candidate_codes,
        n.reason, n.expected_noc, n.family_reason, n.correct_code AS noc_code,
        n.effective_date AS noc_effective, coalesce(n.range_crosses, false) AS range_crosses,
        u.units_by_dose, u.dose_how, u.units_by_ndc, u.ndc_how,
        strftime(l.dos_through, '%Y-%m-%d') AS last_dos,
        coalesce(l.dos_through, l.date_of_service) AS last_day,
        regexp_replace(coalesce(l.ndc_raw, ''), '[^0-9]', '', 'g') AS ndc_digits,
        CASE WHEN NOT l.is_wastage THEN w.jw_line END AS jw_line, md.faults AS modifier_faults
    FROM line_facts l
    LEFT JOIN noc_lines n USING (line_seq)
    LEFT JOIN line_units u USING (line_seq)
    LEFT JOIN discarded w USING (claim_seq, hcpcs, date_of_service)
    LEFT JOIN modifier_dates md USING (line_seq)
),
found AS (
    -- a NOC code for a drug that had a permanent code on the date of service (or on the
    -- later days of a date range that reaches the permanent code's first day)
    SELECT line_seq, 'NOC_AFTER_EFFECTIVE' AS finding, 'error' AS severity,
        CASE WHEN range_crosses
             THEN printf('%s from %s through %s, but %s (%s) has applied since %s: bill the '
                         'days from %s on a line of their own as %s', hcpcs, dos, last_dos,
                         noc_code, drug_label, strftime(noc_effective, '%Y-%m-%d'),
                         strftime(noc_effective, '%Y-%m-%d'), noc_code)
             ELSE printf('%s on %s, but %s (%s) has applied since %s: bill %s%s', hcpcs, dos,
                         noc_code, drug_label, strftime(noc_effective, '%Y-%m-%d'), noc_code,
                         CASE WHEN coalesce(units_by_dose, units_by_ndc) IS NOT NULL
                              THEN ' x ' || units_text(coalesce(units_by_dose, units_by_ndc))
                                   || ' units'
                              ELSE ' (units: the line gives no dose to count them from)' END)
        END AS message,
        noc_code AS correct_code,
        CASE WHEN NOT range_crosses THEN coalesce(units_by_dose, units_by_ndc) END
            AS correct_units,
        noc_effective AS effective_date
    FROM lines WHERE is_noc AND noc_code IS NOT NULL
    UNION ALL
    -- the matcher could not tell which drug it is (REVIEW): say so, suggest nothing
    SELECT line_seq, 'NOC_DRUG_NOT_IDENTIFIED', 'warning',
        printf('%s on %s: the drug (%s) could not be identified for sure, so no permanent '
               'code is suggested: %s', hcpcs, dos,
               drug_label, coalesce(reason, 'review it by hand')),
        NULL, NULL, NULL
    FROM lines WHERE is_noc AND verdict = 'REVIEW' AND (names_drug OR ndc11 IS NOT NULL)
    UNION ALL
    SELECT line_seq, 'NOC_NARRATIVE_MISSING', 'error',
        printf('%s on %s %s: a NOC line must name the drug (and give its dose and NDC) in the '
               'line description (SV101-7) or note; payers return it as unprocessable '
               'otherwise', hcpcs, dos,
               CASE WHEN narrative IS NULL THEN 'has no description'
                    ELSE printf('has a description (''%s'') that names no drug', narrative)
               END),
        NULL, NULL, NULL
    FROM lines WHERE is_noc AND NOT names_drug
    UNION ALL
    SELECT line_seq, 'CODE_NOT_YET_EFFECTIVE', 'error',
        printf('%s on %s, but %s applies only from %s (HCPCS ADD DT): for that date bill the '
               'code that applied then (for a newly approved drug, its NOC code)', hcpcs, dos,
               hcpcs, strftime(valid_from, '%Y-%m-%d')),
        NULL, NULL, valid_from
    FROM lines WHERE known_code AND date_of_service < valid_from
    UNION ALL
    -- billed after the code's last day (a date range: on any of its days)
    SELECT line_seq, 'CODE_ENDED', 'error',
        printf('%s %s, but %s ended %s (HCPCS TERM DT): %s', hcpcs,
               CASE WHEN date_of_service <= valid_to
                    THEN printf('from %s through %s', dos, last_dos) ELSE 'on ' || dos END,
               hcpcs, strftime(valid_to, '%Y-%m-%d'),
               CASE WHEN successor_code IS NULL
                    THEN 'the HCPCS file names no successor (XREF); find the code that applies'
                    WHEN date_of_service <= valid_to AND last_day >= successor_from
                    THEN printf('bill the days from %s on a line of their own as %s, its '
                                'successor (HCPCS XREF)', strftime(successor_from, '%Y-%m-%d'),
                                successor_code)
                    WHEN date_of_service >= successor_from
                    THEN printf('bill %s, its successor (HCPCS XREF), from %s', successor_code,
                                strftime(successor_from, '%Y-%m-%d'))
                    ELSE printf('its successor %s (HCPCS XREF) only applies from %s',
                                successor_code, strftime(successor_from, '%Y-%m-%d')) END),
        CASE WHEN last_day >= successor_from THEN successor_code END, NULL, NULL
    FROM lines WHERE known_code AND last_day > valid_to
    UNION ALL
    SELECT line_seq, 'UNKNOWN_CODE', 'error',
        printf('%s is in none of the loaded HCPCS releases (%s): check the code', hcpcs,
               $releases_text),
        NULL, NULL, NULL
    FROM lines WHERE is_level2 AND NOT known_code
    UNION ALL
    SELECT line_seq, 'C_CODE_OFFICE', 'error',
        printf('%s on a claim with place of service %s: C-codes are for hospital outpatient '
               'claims (place of service 19 or 22) only%s', hcpcs,
               coalesce(place_of_service, '(none)'),
               CASE WHEN hcpcs = 'C9399' THEN '; elsewhere bill J3590 (biologics), J3490 '
                    || '(other drugs) or J9999 (antineoplastics)'
                    ELSE '; elsewhere bill the drug''s J- or Q-code, or its NOC code' END),
        NULL, NULL, NULL
    FROM lines WHERE hcpcs LIKE 'C%' AND NOT hospital_outpatient
    UNION ALL
    SELECT line_seq, 'NDC_MISSING', CASE WHEN is_noc THEN 'error' ELSE 'warning' END,
        CASE WHEN is_noc
             THEN printf('%s on %s has no NDC (LIN*N4): a NOC line needs the 11-digit NDC of '
                         'the product given so the payer can identify and price it', hcpcs, dos)
             ELSE printf('%s on %s has no NDC (LIN*N4): Medicaid and most commercial payers '
                         'require the NDC on drug lines', hcpcs, dos) END,
        NULL, NULL, NULL
    FROM lines WHERE is_drug AND ndc_raw IS NULL
    UNION ALL
    SELECT line_seq, 'NDC_INVALID', 'error',
        printf('NDC %s: %s', ndc_raw, concat_ws('; ',
            CASE WHEN regexp_full_match(ndc_raw, '[0-9]+(\.[0-9]+)?[Ee]\+?[0-9]+')
                 THEN 'Excel wrote it in scientific notation, which loses the NDC''s digits: '
                      || 'format the NDC column as text in the practice system''s export and '
                      || 'export it again'
                 WHEN length(ndc_digits) <> 11
                 THEN printf('%d digits, but a claim carries the 11-digit 5-4-2 form%s',
                             length(ndc_digits),
                             CASE WHEN ndc11 IS NOT NULL THEN ' (' || ndc11 || ')' ELSE '' END)
                 WHEN $file_kind = '837p' AND ndc_raw <> ndc_digits
                 THEN printf('LIN03 carries the 11 digits alone, without hyphens or spaces '
                             '(%s)', ndc_digits)
            END,
            CASE WHEN coalesce(ndc_qualifier, 'N4') <> 'N4'
                 THEN printf('qualifier %s, but NDCs are reported with N4 (LIN02)',
                             ndc_qualifier) END,
            CASE WHEN ndc_unit IS NULL OR ndc_unit NOT IN ('F2', 'GR', 'ME', 'ML', 'UN')
                 THEN printf('unit %s is not one of F2, GR, ME, ML, UN (CTP05)',
                             coalesce(ndc_unit, '(none)')) END,
            CASE WHEN coalesce(ndc_quantity, 0) <= 0
                 THEN 'no NDC quantity (CTP04)' END)),
        NULL, NULL, NULL
    FROM lines
    WHERE ndc_raw IS NOT NULL
      AND (length(ndc_digits) <> 11 OR ($file_kind = '837p' AND ndc_raw <> ndc_digits)
           OR coalesce(ndc_qualifier, 'N4') <> 'N4'
           OR ndc_unit IS NULL OR ndc_unit NOT IN ('F2', 'GR', 'ME', 'ML', 'UN')
           OR coalesce(ndc_quantity, 0) <= 0)
    UNION ALL
    SELECT line_seq, 'NDC_CODE_MISMATCH', 'error',
        printf('NDC %s%s is crosswalked to %s in the %s CMS NDC-HCPCS crosswalk, not to %s: '
               'bill %s, or check the NDC of the product given', ndc_raw,
               CASE WHEN crosswalk_drug IS NOT NULL THEN ' (' || crosswalk_drug || ')' ELSE '' END,
               array_to_string(crosswalk_codes, ' or '), crosswalk_quarter, hcpcs,
               array_to_string(crosswalk_codes, ' or ')),
        CASE WHEN len(crosswalk_codes) = 1 THEN crosswalk_codes[1] END, NULL, NULL
    FROM lines
    WHERE is_drug AND NOT is_noc AND crosswalk_codes IS NOT NULL
      AND NOT list_contains(crosswalk_codes, hcpcs)
    UNION ALL
    SELECT line_seq, 'ADMIN_CODE_MISSING', 'error',
        printf('%s on %s, but the claim has no administration code on that date (%s): a drug '
               'line without one denies as an incomplete claim', hcpcs, dos, $admin_text),
        NULL, NULL, NULL
    FROM lines WHERE needs_admin AND NOT has_admin
    UNION ALL
    SELECT line_seq, 'NOC_FAMILY', 'warning',
        printf('%s on %s for %s: bill %s instead: %s', hcpcs, dos, drug_label, expected_noc,
               family_reason),
        expected_noc, NULL, NULL
    FROM lines
    WHERE is_noc AND noc_code IS NULL AND expected_noc IS NOT NULL AND expected_noc <> hcpcs
    UNION ALL
    SELECT line_seq, 'UNITS_MISMATCH', 'warning',
        CASE WHEN is_noc
             THEN printf('%s billed %s units: a NOC line bills 1 unit (the dose goes in the '
                         'description)', hcpcs, units_text(units))
             ELSE printf('%s billed %s units, but %s', hcpcs, units_text(units), concat_ws('; ',
                CASE WHEN units_by_dose <> units THEN dose_how END,
                CASE WHEN units_by_ndc <> units THEN ndc_how END)) END,
        NULL, CASE WHEN is_noc THEN 1 ELSE coalesce(units_by_dose, units_by_ndc) END, NULL
    FROM lines
    WHERE is_drug AND NOT is_wastage
      AND CASE WHEN is_noc THEN noc_code IS NULL AND units <> 1
               ELSE units_by_dose <> units OR units_by_ndc <> units END
    UNION ALL
    SELECT line_seq, 'PA_MISSING', 'warning',
        printf('%s on %s: the claim has no prior authorisation number (REF*G1); most payers '
               'require prior authorisation for drugs billed under a NOC code', hcpcs, dos),
        NULL, NULL, NULL
    FROM lines WHERE is_noc AND prior_auth IS NULL
    UNION ALL
    SELECT line_seq, 'JW_JZ_MISSING', 'warning',
        printf('%s on %s has neither JW nor JZ: since 2023-07-01 separately payable Part B '
               'drugs from single-dose containers need JZ (nothing discarded) or JW (the '
               'amount discarded, on its own line)', hcpcs, dos),
        NULL, NULL, NULL
    FROM lines
    WHERE is_drug AND separately_payable AND NOT has_jw_jz AND jw_line IS NULL
      AND date_of_service >= DATE '2023-07-01'
    UNION ALL
    -- modifiers the payer rejects: one outside its HCPCS dates, JW with JZ, JZ beside a JW
    -- line of the same drug and date
    SELECT line_seq, 'MODIFIER_INVALID', 'error',
        printf('%s on %s: %s', hcpcs, dos, concat_ws('; ', modifier_faults,
            CASE WHEN is_wastage AND list_contains(modifiers, 'JZ')
                 THEN 'JW and JZ on one line: JZ says nothing was discarded, JW that the line '
                      || 'is the discarded amount' END,
            CASE WHEN jw_line IS NOT NULL AND list_contains(modifiers, 'JZ')
                 THEN printf('JZ says nothing was discarded, but line %d bills %s with JW (an '
                             'amount discarded) on that date: the administered amount carries '
                             'neither JW nor JZ', jw_line, hcpcs) END)),
        NULL, NULL, NULL
    FROM lines
    WHERE modifier_faults IS NOT NULL
       OR (is_wastage AND list_contains(modifiers, 'JZ'))
       OR (jw_line IS NOT NULL AND list_contains(modifiers, 'JZ'))
)
SELECT $file_id AS file_id, f.*, l.dos_quarter
FROM found f
JOIN line_facts l USING (line_seq);
