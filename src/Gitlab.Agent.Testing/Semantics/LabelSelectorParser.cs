namespace Gitlab.Agent.Testing.Semantics;

/// <summary>
/// Recursive-descent parser for the label selector string grammar, with the tokens and error texts of
/// apimachinery <c>labels/selector.go</c>.
/// </summary>
internal sealed class LabelSelectorParser(string text)
{
    private static readonly string BinaryOperators = string.Join(", ", "in", "notin", "=", "==", "!=", "gt", "lt");

    private readonly List<(Token Token, string Literal)> _items = [];
    private int _position;

    private enum Token
    {
        Error,
        EndOfString,
        ClosedPar,
        Comma,
        DoesNotExist,
        DoubleEquals,
        EqualsToken,
        GreaterThan,
        Identifier,
        In,
        LessThan,
        NotEquals,
        NotIn,
        OpenPar,
    }

    private enum Context
    {
        KeyAndOperator,
        Values,
    }

    /// <summary>Parses the whole text into requirements (unsorted).</summary>
    public List<LabelRequirement> Parse()
    {
        Scan();
        var requirements = new List<LabelRequirement>();
        while (true)
        {
            var (token, literal) = Lookahead(Context.Values);
            switch (token)
            {
                case Token.Identifier or Token.DoesNotExist:
                    LabelRequirement requirement;
                    try
                    {
                        requirement = ParseRequirement();
                    }
                    catch (SelectorException e)
                    {
                        throw new SelectorException("unable to parse requirement: " + e.Message);
                    }

                    requirements.Add(requirement);
                    var (next, nextLiteral) = Consume(Context.Values);
                    switch (next)
                    {
                        case Token.EndOfString:
                            return requirements;
                        case Token.Comma:
                            var (afterComma, afterCommaLiteral) = Lookahead(Context.Values);
                            if (afterComma is not Token.Identifier and not Token.DoesNotExist)
                            {
                                throw new SelectorException($"found '{afterCommaLiteral}', expected: identifier after ','");
                            }

                            break;
                        default:
                            throw new SelectorException($"found '{nextLiteral}', expected: ',' or 'end of string'");
                    }

                    break;
                case Token.EndOfString:
                    return requirements;
                default:
                    throw new SelectorException($"found '{literal}', expected: !, identifier, or 'end of string'");
            }
        }
    }

    private LabelRequirement ParseRequirement()
    {
        var (key, op) = ParseKeyAndInferOperator();
        if (op is LabelOperator.Exists or LabelOperator.DoesNotExist)
        {
            return LabelSelector.CreateRequirement(key, op.Value, [], "key");
        }

        var (parsedOperator, exact) = ParseOperator();
        var values = exact ? ParseExactValue() : ParseValues();
        return LabelSelector.CreateRequirement(key, parsedOperator, values.Order(StringComparer.Ordinal).ToList(), "key");
    }

    private (string Key, LabelOperator? Operator) ParseKeyAndInferOperator()
    {
        LabelOperator? op = null;
        var (token, literal) = Consume(Context.Values);
        if (token == Token.DoesNotExist)
        {
            op = LabelOperator.DoesNotExist;
            (token, literal) = Consume(Context.Values);
        }

        if (token != Token.Identifier)
        {
            throw new SelectorException($"found '{literal}', expected: identifier");
        }

        var keyErrors = LabelValidation.QualifiedNameErrors(literal);
        if (keyErrors.Count > 0)
        {
            throw new SelectorException(GoFormat.Invalid(null, literal, string.Join("; ", keyErrors)));
        }

        var (next, _) = Lookahead(Context.Values);
        if ((next is Token.EndOfString or Token.Comma) && op != LabelOperator.DoesNotExist)
        {
            op = LabelOperator.Exists;
        }

        return (literal, op);
    }

    private (LabelOperator Operator, bool Exact) ParseOperator()
    {
        var (token, literal) = Consume(Context.KeyAndOperator);
        return token switch
        {
            Token.In => (LabelOperator.In, false),
            Token.NotIn => (LabelOperator.NotIn, false),
            Token.EqualsToken or Token.DoubleEquals => (LabelOperator.In, true),
            Token.NotEquals => (LabelOperator.NotIn, true),
            Token.GreaterThan => (LabelOperator.GreaterThan, true),
            Token.LessThan => (LabelOperator.LessThan, true),
            _ => throw new SelectorException($"found '{literal}', expected: {BinaryOperators}"),
        };
    }

    private SortedSet<string> ParseValues()
    {
        var (token, literal) = Consume(Context.Values);
        if (token != Token.OpenPar)
        {
            throw new SelectorException($"found '{literal}' expected: '('");
        }

        (token, literal) = Lookahead(Context.Values);
        switch (token)
        {
            case Token.Identifier or Token.Comma:
                var set = ParseIdentifiersList();
                if (Consume(Context.Values).Token != Token.ClosedPar)
                {
                    throw new SelectorException($"found '{literal}', expected: ')'");
                }

                return set;
            case Token.ClosedPar:
                Consume(Context.Values);
                return new SortedSet<string>(StringComparer.Ordinal) { "" };
            default:
                throw new SelectorException($"found '{literal}', expected: ',', ')' or identifier");
        }
    }

    private SortedSet<string> ParseIdentifiersList()
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        while (true)
        {
            var (token, literal) = Consume(Context.Values);
            switch (token)
            {
                case Token.Identifier:
                    set.Add(literal);
                    var (next, nextLiteral) = Lookahead(Context.Values);
                    switch (next)
                    {
                        case Token.Comma:
                            continue;
                        case Token.ClosedPar:
                            return set;
                        default:
                            throw new SelectorException($"found '{nextLiteral}', expected: ',' or ')'");
                    }

                case Token.Comma:
                    if (set.Count == 0)
                    {
                        set.Add("");
                    }

                    var following = Lookahead(Context.Values).Token;
                    if (following == Token.ClosedPar)
                    {
                        set.Add("");
                        return set;
                    }

                    if (following == Token.Comma)
                    {
                        set.Add("");
                    }

                    break;
                default:
                    throw new SelectorException($"found '{literal}', expected: ',', or identifier");
            }
        }
    }

    private SortedSet<string> ParseExactValue()
    {
        var set = new SortedSet<string>(StringComparer.Ordinal);
        var (peek, _) = Lookahead(Context.Values);
        if (peek is Token.EndOfString or Token.Comma)
        {
            set.Add("");
            return set;
        }

        var (token, literal) = Consume(Context.Values);
        if (token == Token.Identifier)
        {
            set.Add(literal);
            return set;
        }

        throw new SelectorException($"found '{literal}', expected: identifier");
    }

    private (Token Token, string Literal) Lookahead(Context context) => Adjust(_items[_position], context);

    private (Token Token, string Literal) Consume(Context context)
    {
        var item = _items[_position];
        if (_position < _items.Count - 1)
        {
            _position++;
        }

        return Adjust(item, context);
    }

    private static (Token Token, string Literal) Adjust((Token Token, string Literal) item, Context context)
        => context == Context.Values && item.Token is Token.In or Token.NotIn ? (Token.Identifier, item.Literal) : item;

    private void Scan()
    {
        var position = 0;
        while (true)
        {
            var item = Lex(ref position);
            _items.Add(item);
            if (item.Token is Token.EndOfString)
            {
                return;
            }

            if (item.Token is Token.Error)
            {
                // The Go lexer keeps going; an error token is reported when the parser reaches it.
                continue;
            }
        }
    }

    private (Token Token, string Literal) Lex(ref int position)
    {
        while (position < text.Length && IsWhitespace(text[position]))
        {
            position++;
        }

        if (position >= text.Length)
        {
            return (Token.EndOfString, "");
        }

        return IsSpecialSymbol(text[position]) ? ScanSpecialSymbol(ref position) : ScanIdentifierOrKeyword(ref position);
    }

    private (Token Token, string Literal) ScanIdentifierOrKeyword(ref int position)
    {
        var start = position;
        while (position < text.Length && !IsSpecialSymbol(text[position]) && !IsWhitespace(text[position]))
        {
            position++;
        }

        var literal = text[start..position];
        return literal switch
        {
            "in" => (Token.In, literal),
            "notin" => (Token.NotIn, literal),
            _ => (Token.Identifier, literal),
        };
    }

    private (Token Token, string Literal) ScanSpecialSymbol(ref int position)
    {
        var buffer = "";
        (Token Token, string Literal)? last = null;
        while (position < text.Length && IsSpecialSymbol(text[position]))
        {
            buffer += text[position];
            position++;
            var token = SymbolToken(buffer);
            if (token is not null)
            {
                last = (token.Value, buffer);
            }
            else if (last is not null)
            {
                position--;
                break;
            }
        }

        return last is null ? (Token.Error, $"error expected: keyword found '{buffer}'") : last.Value;
    }

    private static Token? SymbolToken(string symbol) => symbol switch
    {
        ")" => Token.ClosedPar,
        "," => Token.Comma,
        "!" => Token.DoesNotExist,
        "==" => Token.DoubleEquals,
        "=" => Token.EqualsToken,
        ">" => Token.GreaterThan,
        "<" => Token.LessThan,
        "!=" => Token.NotEquals,
        "(" => Token.OpenPar,
        _ => null,
    };

    private static bool IsWhitespace(char ch) => ch is ' ' or '\t' or '\r' or '\n';

    private static bool IsSpecialSymbol(char ch) => ch is '=' or '!' or '(' or ')' or ',' or '>' or '<';
}
