using System.Globalization;
using System.Numerics;
using System.Text.RegularExpressions;

namespace Gitlab.Agent.Config.Yaml;

/// <summary>
/// YAML 1.2 core schema (https://yaml.org/spec/1.2.2/#1032-tag-resolution): how plain scalars are typed and how
/// typed scalar text is converted. Unlike YAML 1.1, <c>yes</c>/<c>no</c>/<c>on</c>/<c>off</c> are strings and
/// <c>0755</c> is the decimal integer 755.
/// </summary>
internal static partial class CoreSchema
{
    public const string StrTag = "tag:yaml.org,2002:str";
    public const string IntTag = "tag:yaml.org,2002:int";
    public const string FloatTag = "tag:yaml.org,2002:float";
    public const string BoolTag = "tag:yaml.org,2002:bool";
    public const string NullTag = "tag:yaml.org,2002:null";
    public const string MapTag = "tag:yaml.org,2002:map";
    public const string SeqTag = "tag:yaml.org,2002:seq";

    /// <summary>Types a plain (unquoted, untagged) scalar.</summary>
    public static ScalarKind ResolvePlain(string text)
    {
        if (IsNull(text))
        {
            return ScalarKind.Null;
        }

        if (IsBool(text))
        {
            return ScalarKind.Bool;
        }

        if (IntRegex().IsMatch(text))
        {
            return ScalarKind.Int;
        }

        return FloatRegex().IsMatch(text) ? ScalarKind.Float : ScalarKind.String;
    }

    public static bool IsNull(string text) => text is "" or "~" or "null" or "Null" or "NULL";

    public static bool IsBool(string text) => text is "true" or "True" or "TRUE" or "false" or "False" or "FALSE";

    public static bool IsInt(string text) => IntRegex().IsMatch(text);

    public static bool IsFloat(string text) => IntRegex().IsMatch(text) || FloatRegex().IsMatch(text);

    public static bool ParseBool(string text) => text is "true" or "True" or "TRUE";

    /// <summary>Parses core-schema integer text (decimal, <c>0o</c> octal, <c>0x</c> hexadecimal).</summary>
    public static BigInteger ParseInt(string text)
    {
        if (text.StartsWith("0x", StringComparison.Ordinal))
        {
            return BigInteger.Parse("0" + text[2..], NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture);
        }

        if (text.StartsWith("0o", StringComparison.Ordinal))
        {
            var value = BigInteger.Zero;
            foreach (var c in text.AsSpan(2))
            {
                value = (value * 8) + (c - '0');
            }

            return value;
        }

        return BigInteger.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
    }

    /// <summary>Parses core-schema float text, including <c>.inf</c> and <c>.nan</c>.</summary>
    public static double ParseFloat(string text)
    {
        var unsigned = text.TrimStart('+', '-');
        if (unsigned is ".inf" or ".Inf" or ".INF")
        {
            return text.StartsWith('-') ? double.NegativeInfinity : double.PositiveInfinity;
        }

        if (unsigned is ".nan" or ".NaN" or ".NAN")
        {
            return double.NaN;
        }

        if (IntRegex().IsMatch(text))
        {
            return (double)ParseInt(text);
        }

        return double.Parse(text, NumberStyles.Float, CultureInfo.InvariantCulture);
    }

    /// <summary>
    /// Converts a float to an exact integer when it has no fractional part (so <c>1e3</c> is 1000),
    /// as protojson does for integer fields; null otherwise.
    /// </summary>
    public static BigInteger? FloatTextToInteger(string text)
    {
        var m = DecimalFloatRegex().Match(text);
        if (!m.Success)
        {
            return null;
        }

        var negative = m.Groups["sign"].Value == "-";
        var intPart = m.Groups["int"].Value;
        var fraction = m.Groups["frac"].Value;
        var exponent = m.Groups["exp"].Success ? int.Parse(m.Groups["exp"].Value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture) : 0;
        if (exponent is > 400 or < -400)
        {
            return null;
        }

        var digits = (intPart + fraction).TrimStart('0');
        var scale = exponent - fraction.Length;
        if (digits.Length == 0)
        {
            return BigInteger.Zero;
        }

        while (scale < 0 && digits.EndsWith('0'))
        {
            digits = digits[..^1];
            scale++;
        }

        if (scale < 0)
        {
            return null;
        }

        var value = BigInteger.Parse(digits, CultureInfo.InvariantCulture) * BigInteger.Pow(10, scale);
        return negative ? -value : value;
    }

    [GeneratedRegex(@"^(?:[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+)$", RegexOptions.CultureInvariant)]
    private static partial Regex IntRegex();

    [GeneratedRegex(@"^(?:[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.nan|\.NaN|\.NAN)$", RegexOptions.CultureInvariant)]
    private static partial Regex FloatRegex();

    [GeneratedRegex(@"^(?<sign>[-+]?)(?<int>[0-9]*)(?:\.(?<frac>[0-9]*))?(?:[eE](?<exp>[-+]?[0-9]+))?$", RegexOptions.CultureInvariant)]
    private static partial Regex DecimalFloatRegex();
}
