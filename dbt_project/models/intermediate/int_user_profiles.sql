-- One row per user with the profile the report cuts by: country (with its region and subregion),
-- profession and industry. The profile is the one loaded when a quarter is built (profiles are a
-- snapshot), so fct_runs and dim_users, built in the same invocation, carry the same values.
-- Missing values are filled by user_profile_columns() (macros/core.sql), for users with no profile
-- and anonymous runs alike.
select
    users.user_id,
    users.country_code,
    countries.country_name,
    countries.region,
    countries.subregion,
    users.profession,
    users.industry
from {{ ref('stg_tracking__users') }} as users
left join {{ ref('countries') }} as countries on users.country_code = countries.country_code
