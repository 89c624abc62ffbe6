using System.Collections.Concurrent;

namespace Gitlab.Agent.Kas.Authentication;

/// <summary>
/// In-memory version of GitLab's per-token connection limit: at most N calls per token per wall-clock minute
/// (<c>agent.listen.connections_per_token_per_minute</c>).
/// </summary>
internal sealed class TokenRateLimiter(KasRuntimeSettings settings, TimeProvider timeProvider)
{
    private readonly ConcurrentDictionary<string, Window> _windows = new(StringComparer.Ordinal);

    /// <summary>Counts one call for <paramref name="tokenHash"/>; returns <see langword="false"/> when the limit is exhausted.</summary>
    public bool TryAcquire(string tokenHash)
    {
        var minute = timeProvider.GetUtcNow().ToUnixTimeSeconds() / 60;
        if (_windows.Count > 10_000)
        {
            foreach (var (key, window) in _windows)
            {
                if (window.Minute != minute)
                {
                    _windows.TryRemove(key, out _);
                }
            }
        }

        var current = _windows.AddOrUpdate(tokenHash, static (_, m) => new Window(m, 1), static (_, w, m) => w.Minute == m ? w with { Count = w.Count + 1 } : new Window(m, 1), minute);
        return current.Count <= settings.ConnectionsPerTokenPerMinute;
    }

    private sealed record Window(long Minute, int Count);
}
