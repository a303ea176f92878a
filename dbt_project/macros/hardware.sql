{#- Hardware classification of a run from the environment its client recorded.
    Each rule is one macro so that fct_runs and the unit tests share it. -#}

{#- An NVML / rocm-smi / Apple chip name -> the key of seeds/gpu_models.csv: upper case, single
    spaces, without the "NVIDIA " prefix newer drivers add, the "Tesla " brand older ones wrote, the
    "GRID " of virtual GPUs and the "AMD " some rocm-smi versions print; without MIG slices, laptop
    markers (a separate flag), virtual-GPU profiles ("A10-24Q", "T4-16Q", "A100-40C", MIG-backed
    "A100-1-5C") and memory / form-factor suffixes ("A100-SXM4-40GB", "A100 80GB PCIe",
    "H100 80GB HBM3", "V100-DGXS-32GB", "V100-FHHL-16GB", "GH200 480GB", "GTX 1060 6GB" -> A100,
    A100, H100, V100, V100, GH200, GTX 1060).
    Regex work is per distinct name (int_gpu_names), never per run: at 31 M runs a quarter the same
    expressions per row cost ~18 s against ~3 s for distinct names plus a join. -#}
{% macro normalize_gpu_name(name) -%}
    {#- Every pattern but the first is anchored, so "replace all" replaces its one match. -#}
    {%- set s = regexp_replace_all('upper(trim(' ~ name ~ '))', '\s+', ' ') -%}
    {%- set s = regexp_replace_all(s, '^((NVIDIA|TESLA|GRID|AMD) )+', '') -%}
    {%- set s = regexp_replace_all(s, ' MIG( .*)?$', '') -%}
    {%- set s = regexp_replace_all(s, ' (LAPTOP GPU|WITH MAX-Q DESIGN|MAX-Q|MOBILE)$', '') -%}
    {%- set s = regexp_replace_all(s, '-([0-9]+-)?[0-9]+[ABCQ]$', '') -%}
    trim({{ regexp_replace_all(s, '([- ]+(SXM[0-9]*|PCIE|PCI-E|HBM[0-9]*E?|NVL|DGXS|FHHL|[0-9]+ ?GB))+$', '') }})
{%- endmacro %}

{#- Laptop variants carry the same chip as the desktop card; only the segment differs. -#}
{% macro is_laptop_gpu_name(name) -%}
    {{ regexp_contains('upper(' ~ name ~ ')', '(LAPTOP GPU|MAX-Q|MOBILE)') }}
{%- endmacro %}

{#- The vendor of a name the seed does not know yet, from its brand words. -#}
{% macro gpu_vendor_from_name(name) -%}
    case
        when {{ regexp_contains('upper(' ~ name ~ ')', '^APPLE') }} then 'Apple'
        when {{ regexp_contains('upper(' ~ name ~ ')', '(NVIDIA|GEFORCE|QUADRO|TESLA|TITAN|RTX|GTX|GRID)') }} then 'NVIDIA'
        when {{ regexp_contains('upper(' ~ name ~ ')', '(AMD|RADEON|INSTINCT)') }} then 'AMD'
        when {{ regexp_contains('upper(' ~ name ~ ')', '(INTEL|ARC )') }} then 'Intel'
        else 'Other'
    end
{%- endmacro %}

{#- Did the run see a GPU at all? A name, a count, or an Apple GPU (the 2022 client's gpuapple
    block, or telemetry environment flag 4 = Apple M1 GPU). -#}
{% macro has_gpu(gpu_name, gpu_count, has_apple_gpu, telemetry_env) -%}
    ({{ gpu_name }} is not null or coalesce({{ gpu_count }}, 0) > 0 or {{ has_apple_gpu }}
     or {{ list_contains(telemetry_env, 4) }})
{%- endmacro %}

{#- GPUs per run in the talk's buckets. A run with a GPU but no count (Apple silicon, or a
    client that wrote only a name) has one. -#}
{% macro gpu_count_bucket(gpu_count, has_gpu) -%}
    case
        when coalesce({{ gpu_count }}, 0) >= 9 then '9+'
        when {{ gpu_count }} between 5 and 8 then '5-8'
        when {{ gpu_count }} between 3 and 4 then '3-4'
        when {{ gpu_count }} = 2 then '2'
        when {{ gpu_count }} = 1 or {{ has_gpu }} then '1'
        else 'none'
    end
{%- endmacro %}

{#- Sort key of the buckets (none, 1, 2, 3-4, 5-8, 9+). -#}
{% macro gpu_count_bucket_order(bucket) -%}
    case {{ bucket }} when 'none' then 0 when '1' then 1 when '2' then 2 when '3-4' then 3
        when '5-8' then 4 when '9+' then 5 end
{%- endmacro %}

{#- The run's main accelerator. A TPU or IPU block wins over a GPU (a TPU VM may still list a
    host GPU); with none of them the run was CPU-only or its hardware was not probed. -#}
{% macro accelerator_type(tpu, ipu_count, has_gpu) -%}
    case
        when {{ tpu }} is not null then 'TPU'
        when coalesce({{ ipu_count }}, 0) > 0 then 'IPU'
        when {{ has_gpu }} then 'GPU'
        else 'CPU only'
    end
{%- endmacro %}

{#- Where the run was computed, from its telemetry flags and host name. A heuristic:
    * Colab / Kaggle: the client's telemetry environment flags (12, 2);
    * AWS: EC2's default host names `ip-172-31-16-5` (ip- and four dashed parts), or a `*.compute.internal` / `*.ec2.internal` FQDN;
    * Azure: `*.cloudapp.net` (VM DNS suffix `*.internal.cloudapp.net`);
    * Google Cloud: `*.c.<project>.internal` and any other `*.internal` FQDN (AWS's are caught first);
    * no host (anonymous runs, clients that do not record it): unknown;
    * anything else: on-premises, or a cloud whose host names say nothing (a custom host name on
      a cloud VM is counted on-premises, so cloud shares are lower bounds).
    LIKE, not regex: this runs once per run. -#}
{% macro compute_location(host, telemetry_env) -%}
    case
        when {{ list_contains(telemetry_env, 12) }} then 'Colab'
        when {{ list_contains(telemetry_env, 2) }} then 'Kaggle'
        when nullif(trim({{ host }}), '') is null then 'Unknown (no host)'
        when lower({{ host }}) like 'ip-%-%-%-%'
          or lower({{ host }}) like '%.compute.internal'
          or lower({{ host }}) like '%.ec2.internal' then 'AWS'
        when lower({{ host }}) like '%.cloudapp.net' then 'Azure'
        when lower({{ host }}) like '%.internal' then 'Google Cloud'
        else 'On-premises / other'
    end
{%- endmacro %}
