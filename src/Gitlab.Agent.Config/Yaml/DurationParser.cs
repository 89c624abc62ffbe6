using System.Numerics;
using Google.Protobuf.WellKnownTypes;

namespace Gitlab.Agent.Config.Yaml;

/// <summary>
/// Parses durations written as protojson strings (<c>"3600s"</c>, <c>"1.5s"</c>, <c>"-2s"</c>) or Go
/// <c>time.ParseDuration</c> strings (<c>1h30m</c>, <c>20s</c>, <c>500ms</c>, <c>1m30.5s</c>, <c>250us</c>, <c>0</c>).
/// The protojson form is a special case of the Go form, so one grammar covers both:
/// <c>[-+]? (number unit)+</c> with units ns, us (µs), ms, s, m, h; fractions allowed; the bare <c>0</c> is allowed.
/// </summary>
internal static class DurationParser
{
    /// <summary>protobuf Duration limit: ±10,000 years.</summary>
    public const long MaxSeconds = 315_576_000_000;

    private static readonly BigInteger NanosPerSecond = 1_000_000_000;

    public static bool TryParse(string text, out Duration duration)
    {
        duration = new Duration();
        if (!TryParseNanoseconds(text, out var total))
        {
            return false;
        }

        var seconds = BigInteger.DivRem(total, NanosPerSecond, out var nanos);
        if (BigInteger.Abs(seconds) > MaxSeconds)
        {
            return false;
        }

        duration = new Duration { Seconds = (long)seconds, Nanos = (int)nanos };
        return true;
    }

    private static bool TryParseNanoseconds(string text, out BigInteger total)
    {
        total = BigInteger.Zero;
        var s = text.AsSpan();
        var negative = false;
        if (s.Length > 0 && (s[0] == '-' || s[0] == '+'))
        {
            negative = s[0] == '-';
            s = s[1..];
        }

        if (s is "0")
        {
            return true;
        }

        if (s.IsEmpty)
        {
            return false;
        }

        while (!s.IsEmpty)
        {
            var intLength = CountDigits(s);
            var whole = s[..intLength];
            s = s[intLength..];
            var fraction = ReadOnlySpan<char>.Empty;
            if (!s.IsEmpty && s[0] == '.')
            {
                s = s[1..];
                var fracLength = CountDigits(s);
                fraction = s[..fracLength];
                s = s[fracLength..];
            }

            if (whole.IsEmpty && fraction.IsEmpty)
            {
                return false;
            }

            var unitLength = 0;
            while (unitLength < s.Length && !char.IsAsciiDigit(s[unitLength]) && s[unitLength] != '.')
            {
                unitLength++;
            }

            BigInteger unit = s[..unitLength] switch
            {
                "ns" => 1,
                "us" or "µs" or "μs" => 1_000,
                "ms" => 1_000_000,
                "s" => NanosPerSecond,
                "m" => 60 * NanosPerSecond,
                "h" => 3600 * NanosPerSecond,
                _ => BigInteger.MinusOne,
            };
            if (unit.IsZero || unit.Sign < 0 || whole.Length > 30 || fraction.Length > 30)
            {
                return false;
            }

            s = s[unitLength..];
            var value = whole.IsEmpty ? BigInteger.Zero : BigInteger.Parse(whole, provider: System.Globalization.CultureInfo.InvariantCulture);
            total += value * unit;
            if (!fraction.IsEmpty)
            {
                total += BigInteger.Parse(fraction, provider: System.Globalization.CultureInfo.InvariantCulture) * unit / BigInteger.Pow(10, fraction.Length);
            }
        }

        if (negative)
        {
            total = -total;
        }

        return true;
    }

    private static int CountDigits(ReadOnlySpan<char> s)
    {
        var n = 0;
        while (n < s.Length && char.IsAsciiDigit(s[n]))
        {
            n++;
        }

        return n;
    }
}
