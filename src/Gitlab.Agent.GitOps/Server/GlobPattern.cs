using System.Text;

namespace Gitlab.Agent.GitOps.Server;

/// <summary>
/// A compiled doublestar glob (the syntax GitLab's <c>paths[].glob</c> uses): <c>**</c> as a whole path component
/// matches zero or more directories, <c>*</c> any run of characters except <c>/</c>, <c>?</c> one character except
/// <c>/</c>, <c>[abc]</c>, <c>[a-z]</c>, <c>[^a]</c>/<c>[!a]</c> character classes, <c>{a,b}</c> alternatives (nested,
/// may contain <c>/</c>), <c>\</c> escapes the next character. A leading <c>/</c> is ignored: paths are relative to
/// the repository root.
/// </summary>
internal sealed class GlobPattern
{
    private const int MaxAlternatives = 1024;

    private readonly List<Segment[]> _alternatives;

    private GlobPattern(string pattern, List<Segment[]> alternatives)
    {
        Pattern = pattern;
        _alternatives = alternatives;
    }

    /// <summary>The pattern as written.</summary>
    public string Pattern { get; }

    /// <summary>Compiles <paramref name="pattern"/>; throws <see cref="GlobPatternException"/> when it is malformed.</summary>
    public static GlobPattern Parse(string pattern)
    {
        ArgumentNullException.ThrowIfNull(pattern);
        var body = pattern.TrimStart('/');
        if (body.Length == 0)
        {
            throw new GlobPatternException(pattern, "the pattern is empty");
        }

        var expanded = new List<string>();
        ExpandBraces(pattern, body, expanded);
        var alternatives = new List<Segment[]>(expanded.Count);
        foreach (var alternative in expanded)
        {
            var parts = alternative.Split('/');
            var segments = new Segment[parts.Length];
            for (var i = 0; i < parts.Length; i++)
            {
                segments[i] = Segment.Parse(pattern, parts[i]);
            }

            alternatives.Add(segments);
        }

        return new GlobPattern(pattern, alternatives);
    }

    /// <summary>Whether <paramref name="path"/> (relative, <c>/</c>-separated, no leading <c>/</c>) matches.</summary>
    public bool IsMatch(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        var parts = path.TrimStart('/').Split('/');
        foreach (var alternative in _alternatives)
        {
            if (MatchSegments(alternative, 0, parts, 0))
            {
                return true;
            }
        }

        return false;
    }

    /// <inheritdoc />
    public override string ToString() => Pattern;

    private static bool MatchSegments(Segment[] pattern, int pi, string[] path, int si)
    {
        while (true)
        {
            if (pi == pattern.Length)
            {
                return si == path.Length;
            }

            var segment = pattern[pi];
            if (segment.IsDoubleStar)
            {
                // Collapse consecutive ** components.
                while (pi + 1 < pattern.Length && pattern[pi + 1].IsDoubleStar)
                {
                    pi++;
                }

                if (pi + 1 == pattern.Length)
                {
                    return true;
                }

                for (var k = si; k <= path.Length; k++)
                {
                    if (MatchSegments(pattern, pi + 1, path, k))
                    {
                        return true;
                    }
                }

                return false;
            }

            if (si == path.Length || !segment.IsMatch(path[si]))
            {
                return false;
            }

            pi++;
            si++;
        }
    }

    // Expands the first top-level {..} group and recurses, so nested and sequential groups all expand.
    private static void ExpandBraces(string original, string pattern, List<string> output)
    {
        var open = -1;
        var inClass = false;
        for (var i = 0; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\')
            {
                i++;
                continue;
            }

            if (inClass)
            {
                if (c == ']')
                {
                    inClass = false;
                }

                continue;
            }

            if (c == '[')
            {
                inClass = true;
                // A ']' right after '[' or '[^' / '[!' is a literal member.
                if (i + 1 < pattern.Length && (pattern[i + 1] == '^' || pattern[i + 1] == '!'))
                {
                    i++;
                }

                if (i + 1 < pattern.Length && pattern[i + 1] == ']')
                {
                    i++;
                }

                continue;
            }

            if (c == '{')
            {
                open = i;
                break;
            }
        }

        if (open < 0)
        {
            if (output.Count >= MaxAlternatives)
            {
                throw new GlobPatternException(original, $"brace expansion yields more than {MaxAlternatives} alternatives");
            }

            output.Add(pattern);
            return;
        }

        var depth = 0;
        var close = -1;
        var commas = new List<int>();
        inClass = false;
        for (var i = open; i < pattern.Length; i++)
        {
            var c = pattern[i];
            if (c == '\\')
            {
                i++;
                continue;
            }

            if (inClass)
            {
                if (c == ']')
                {
                    inClass = false;
                }

                continue;
            }

            switch (c)
            {
                case '[':
                    inClass = true;
                    if (i + 1 < pattern.Length && (pattern[i + 1] == '^' || pattern[i + 1] == '!'))
                    {
                        i++;
                    }

                    if (i + 1 < pattern.Length && pattern[i + 1] == ']')
                    {
                        i++;
                    }

                    break;
                case '{':
                    depth++;
                    break;
                case '}':
                    depth--;
                    if (depth == 0)
                    {
                        close = i;
                    }

                    break;
                case ',' when depth == 1:
                    commas.Add(i);
                    break;
            }

            if (close >= 0)
            {
                break;
            }
        }

        if (close < 0)
        {
            throw new GlobPatternException(original, $"'{{' at position {open + 1} is never closed");
        }

        var prefix = pattern[..open];
        var suffix = pattern[(close + 1)..];
        var start = open + 1;
        commas.Add(close);
        foreach (var end in commas)
        {
            ExpandBraces(original, prefix + pattern[start..end] + suffix, output);
            start = end + 1;
        }
    }

    private sealed class Segment
    {
        private readonly Token[] _tokens;

        private Segment(Token[] tokens, bool isDoubleStar)
        {
            _tokens = tokens;
            IsDoubleStar = isDoubleStar;
        }

        public bool IsDoubleStar { get; }

        public static Segment Parse(string original, string text)
        {
            if (text == "**")
            {
                return new Segment([], isDoubleStar: true);
            }

            var tokens = new List<Token>();
            for (var i = 0; i < text.Length; i++)
            {
                var c = text[i];
                switch (c)
                {
                    case '\\':
                        if (i + 1 >= text.Length)
                        {
                            throw new GlobPatternException(original, "it ends with an unfinished escape '\\'");
                        }

                        i++;
                        tokens.Add(Token.Literal(text[i]));
                        break;
                    case '*':
                        // "a**b" behaves like "a*b"; only a whole "**" component crosses directories.
                        if (tokens.Count == 0 || tokens[^1].Kind != TokenKind.Star)
                        {
                            tokens.Add(Token.Star);
                        }

                        break;
                    case '?':
                        tokens.Add(Token.AnyChar);
                        break;
                    case '[':
                        i = ParseClass(original, text, i, tokens);
                        break;
                    case '}':
                    case ',':
                    default:
                        tokens.Add(Token.Literal(c));
                        break;
                }
            }

            return new Segment([.. tokens], isDoubleStar: false);
        }

        private static int ParseClass(string original, string text, int start, List<Token> tokens)
        {
            var i = start + 1;
            var negated = false;
            if (i < text.Length && (text[i] == '^' || text[i] == '!'))
            {
                negated = true;
                i++;
            }

            var ranges = new List<(char From, char To)>();
            var first = true;
            while (true)
            {
                if (i >= text.Length)
                {
                    throw new GlobPatternException(original, $"'[' at position {start + 1} of component '{text}' is never closed");
                }

                var c = text[i];
                if (c == ']' && !first)
                {
                    break;
                }

                first = false;
                if (c == '\\')
                {
                    i++;
                    if (i >= text.Length)
                    {
                        throw new GlobPatternException(original, "it ends with an unfinished escape '\\'");
                    }

                    c = text[i];
                }

                var to = c;
                if (i + 2 < text.Length && text[i + 1] == '-' && text[i + 2] != ']')
                {
                    i += 2;
                    to = text[i];
                    if (to == '\\')
                    {
                        i++;
                        if (i >= text.Length)
                        {
                            throw new GlobPatternException(original, "it ends with an unfinished escape '\\'");
                        }

                        to = text[i];
                    }

                    if (to < c)
                    {
                        throw new GlobPatternException(original, $"character range '{c}-{to}' is reversed");
                    }
                }

                ranges.Add((c, to));
                i++;
            }

            tokens.Add(Token.Class([.. ranges], negated));
            return i;
        }

        public bool IsMatch(string name) => MatchTokens(0, name, 0);

        private bool MatchTokens(int ti, string name, int ni)
        {
            // Iterative wildcard matching with single-star backtracking.
            var starToken = -1;
            var starName = -1;
            while (true)
            {
                if (ti < _tokens.Length)
                {
                    var token = _tokens[ti];
                    if (token.Kind == TokenKind.Star)
                    {
                        starToken = ti;
                        starName = ni;
                        ti++;
                        continue;
                    }

                    if (ni < name.Length && token.Matches(name[ni]))
                    {
                        ti++;
                        ni++;
                        continue;
                    }
                }
                else if (ni == name.Length)
                {
                    return true;
                }

                if (starToken < 0 || starName >= name.Length)
                {
                    return false;
                }

                starName++;
                ti = starToken + 1;
                ni = starName;
            }
        }
    }

    private enum TokenKind
    {
        Literal,
        AnyChar,
        Star,
        Class,
    }

    private readonly record struct Token(TokenKind Kind, char Char, (char From, char To)[]? Ranges, bool Negated)
    {
        public static Token Star => new(TokenKind.Star, '\0', null, false);

        public static Token AnyChar => new(TokenKind.AnyChar, '\0', null, false);

        public static Token Literal(char c) => new(TokenKind.Literal, c, null, false);

        public static Token Class((char From, char To)[] ranges, bool negated) => new(TokenKind.Class, '\0', ranges, negated);

        public bool Matches(char c)
        {
            switch (Kind)
            {
                case TokenKind.Literal:
                    return c == Char;
                case TokenKind.AnyChar:
                    return c != '/';
                case TokenKind.Class:
                    var inside = false;
                    foreach (var (from, to) in Ranges!)
                    {
                        if (c >= from && c <= to)
                        {
                            inside = true;
                            break;
                        }
                    }

                    return inside != Negated;
                default:
                    return false;
            }
        }
    }
}

/// <summary>A glob in <c>paths[].glob</c> is malformed.</summary>
internal sealed class GlobPatternException(string pattern, string reason)
    : Exception($"invalid glob '{pattern}': {reason}")
{
    /// <summary>The pattern as written.</summary>
    public string GlobPatternText { get; } = pattern;
}
