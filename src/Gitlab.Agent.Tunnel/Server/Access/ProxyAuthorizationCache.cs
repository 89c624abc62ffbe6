using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Gitlab.Agent.Kas;

namespace Gitlab.Agent.Tunnel.Server.Access;

/// <summary>
/// Remembers the outcome of <see cref="ProxyAuthorizer"/> per credential (token type, agent id and the SHA-256 of the
/// token; the token itself is never kept) so that a busy CI job or kubectl session does not verify its token and load
/// the agent's configuration on every request: granted decisions for <see cref="Ttl"/>
/// (<c>agent.kubernetes_api.allowed_agent_cache_ttl</c>), refusals (401/403) for <see cref="ErrorTtl"/>
/// (<c>allowed_agent_cache_error_ttl</c>). A zero TTL turns caching of that outcome off.
/// <para>
/// Revocations in this process evict at once (<see cref="InvalidateToken"/>, <see cref="InvalidatePersonalAccessTokens"/>);
/// an evaluation that overlaps an eviction is not stored. At most <see cref="MaxEntries"/> entries are held: when
/// full, expired entries are swept (at most once a second) and, if it is still full, new outcomes are not stored, so a
/// flood of bad tokens cannot grow memory.
/// </para>
/// </summary>
internal sealed class ProxyAuthorizationCache
{
    /// <summary>Default of <c>allowed_agent_cache_ttl</c> (as in GitLab's KAS).</summary>
    public static readonly TimeSpan DefaultTtl = TimeSpan.FromSeconds(60);

    /// <summary>Default of <c>allowed_agent_cache_error_ttl</c> (as in GitLab's KAS).</summary>
    public static readonly TimeSpan DefaultErrorTtl = TimeSpan.FromSeconds(10);

    public const int DefaultMaxEntries = 10_000;

    private const int StackTokenBytes = 256;

    private readonly ConcurrentDictionary<Key, Entry> _entries = new();
    private readonly Lock _gate = new();
    private readonly TimeProvider _time;
    private readonly long _ttlTicks;
    private readonly long _errorTtlTicks;
    private readonly long _sweepIntervalTicks;
    private long _generation;
    private long _nextSweep;
    private int _count;

    public ProxyAuthorizationCache(TimeSpan ttl, TimeSpan errorTtl, TimeProvider time, int maxEntries = DefaultMaxEntries)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(ttl, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfLessThan(errorTtl, TimeSpan.Zero);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxEntries);
        Ttl = ttl;
        ErrorTtl = errorTtl;
        MaxEntries = maxEntries;
        _time = time;
        _ttlTicks = ToTimestampTicks(ttl);
        _errorTtlTicks = ToTimestampTicks(errorTtl);
        _sweepIntervalTicks = ToTimestampTicks(TimeSpan.FromSeconds(1));
    }

    public TimeSpan Ttl { get; }

    public TimeSpan ErrorTtl { get; }

    public int MaxEntries { get; }

    /// <summary>Entries held, expired ones included until they are swept or replaced.</summary>
    public int Count
    {
        get
        {
            lock (_gate)
            {
                return _count;
            }
        }
    }

    /// <summary>
    /// The TTLs in force: <see cref="TunnelServerOptions.AllowedAgentCacheTtl"/> / <see cref="TunnelServerOptions.AllowedAgentCacheErrorTtl"/>,
    /// else <c>agent.kubernetes_api.allowed_agent_cache_ttl</c> / <c>_error_ttl</c>, else 60 s / 10 s.
    /// </summary>
    public static ProxyAuthorizationCache Create(TunnelServerOptions options, KasOptions? kas, TimeProvider time)
    {
        var kubernetesApi = kas?.Configuration.Agent?.KubernetesApi;
        var ttl = options.AllowedAgentCacheTtl ?? kubernetesApi?.AllowedAgentCacheTtl?.ToTimeSpan() ?? DefaultTtl;
        var errorTtl = options.AllowedAgentCacheErrorTtl ?? kubernetesApi?.AllowedAgentCacheErrorTtl?.ToTimeSpan() ?? DefaultErrorTtl;
        return new ProxyAuthorizationCache(ttl, errorTtl, time);
    }

    /// <summary>The cached decision for <paramref name="credential"/>, or the one <paramref name="evaluate"/> makes (then cached).</summary>
    public async ValueTask<ProxyDecision> GetOrEvaluateAsync(
        ProxyCredential credential, Func<ProxyCredential, CancellationToken, Task<ProxyDecision>> evaluate, CancellationToken cancellationToken)
    {
        if (_ttlTicks == 0 && _errorTtlTicks == 0)
        {
            return await evaluate(credential, cancellationToken).ConfigureAwait(false);
        }

        var key = new Key(credential.Type, credential.AgentId, Digest.Of(credential.Token));
        if (_entries.TryGetValue(key, out var cached) && _time.GetTimestamp() < cached.ExpiresAt)
        {
            return cached.Decision;
        }

        var generation = Volatile.Read(ref _generation);
        var decision = await evaluate(credential, cancellationToken).ConfigureAwait(false);
        var lifetime = decision.Allowed ? _ttlTicks : _errorTtlTicks;
        if (lifetime > 0)
        {
            Store(key, new Entry(decision, _time.GetTimestamp() + lifetime), generation);
        }

        return decision;
    }

    /// <summary>Drops the CI job token entries of <paramref name="token"/> (every agent): it was revoked.</summary>
    public void InvalidateToken(string token)
    {
        var digest = Digest.Of(token);
        Remove(key => key.Type == ProxyCredentialType.CiJob && key.Digest == digest);
    }

    /// <summary>Drops every personal access token entry: a token was revoked or a membership changed in the user store.</summary>
    public void InvalidatePersonalAccessTokens() => Remove(key => key.Type == ProxyCredentialType.PersonalAccessToken);

    private void Store(Key key, Entry entry, long generation)
    {
        lock (_gate)
        {
            // An eviction since the evaluation started may have been about this credential: do not keep what was read before it.
            if (_generation != generation)
            {
                return;
            }

            var exists = _entries.ContainsKey(key);
            if (!exists && _count >= MaxEntries)
            {
                SweepExpired();
                if (_count >= MaxEntries)
                {
                    return;
                }
            }

            _entries[key] = entry;
            if (!exists)
            {
                _count++;
            }
        }
    }

    private void Remove(Func<Key, bool> match)
    {
        lock (_gate)
        {
            _generation++;
            foreach (var key in _entries.Keys)
            {
                if (match(key) && _entries.TryRemove(key, out _))
                {
                    _count--;
                }
            }
        }
    }

    /// <summary>Removes expired entries, at most once a second (under <see cref="_gate"/>).</summary>
    private void SweepExpired()
    {
        var now = _time.GetTimestamp();
        if (now < _nextSweep)
        {
            return;
        }

        _nextSweep = now + _sweepIntervalTicks;
        foreach (var (key, entry) in _entries)
        {
            if (entry.ExpiresAt <= now && _entries.TryRemove(key, out _))
            {
                _count--;
            }
        }
    }

    private long ToTimestampTicks(TimeSpan span) =>
        span <= TimeSpan.Zero ? 0 : (long)Math.Min(span.TotalSeconds * _time.TimestampFrequency, long.MaxValue / 4);

    private readonly record struct Key(ProxyCredentialType Type, long AgentId, Digest Digest);

    private sealed class Entry(ProxyDecision decision, long expiresAt)
    {
        public ProxyDecision Decision { get; } = decision;

        public long ExpiresAt { get; } = expiresAt;
    }

    /// <summary>SHA-256 of a token's UTF-8 bytes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct Digest(ulong A, ulong B, ulong C, ulong D)
    {
        public static Digest Of(string token)
        {
            var length = Encoding.UTF8.GetMaxByteCount(token.Length);
            byte[]? rented = null;
            var bytes = length <= StackTokenBytes ? stackalloc byte[StackTokenBytes] : (rented = ArrayPool<byte>.Shared.Rent(length));
            try
            {
                var written = Encoding.UTF8.GetBytes(token, bytes);
                Span<byte> hash = stackalloc byte[SHA256.HashSizeInBytes];
                SHA256.HashData(bytes[..written], hash);
                var words = MemoryMarshal.Cast<byte, ulong>(hash);
                return new Digest(words[0], words[1], words[2], words[3]);
            }
            finally
            {
                if (rented is not null)
                {
                    ArrayPool<byte>.Shared.Return(rented, clearArray: true);
                }
            }
        }
    }
}
