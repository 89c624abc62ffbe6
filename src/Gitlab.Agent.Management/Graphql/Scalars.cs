using System.Globalization;
using GraphQL.Types;
using GraphQLParser.AST;

namespace Gitlab.Agent.Management.Graphql;

/// <summary>GitLab's <c>Time</c> scalar: an ISO 8601 UTC timestamp such as <c>2024-05-01T12:34:56Z</c>.</summary>
internal sealed class TimeGraphType : ScalarGraphType
{
    public TimeGraphType()
    {
        Name = "Time";
        Description = "Time represented in ISO 8601, e.g. 2024-05-01T12:34:56Z.";
    }

    public override object? Serialize(object? value) => value switch
    {
        null => null,
        DateTimeOffset d => Format(d),
        DateTime d => Format(new DateTimeOffset(DateTime.SpecifyKind(d, DateTimeKind.Utc))),
        _ => ThrowSerializationError(value),
    };

    public override object? ParseValue(object? value) => value switch
    {
        null => null,
        string s when DateTimeOffset.TryParse(s, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out var d) => d,
        DateTimeOffset d => d,
        _ => ThrowValueConversionError(value),
    };

    public override object? ParseLiteral(GraphQLValue value) => value switch
    {
        GraphQLNullValue => null,
        GraphQLStringValue s => ParseValue((string)s.Value),
        _ => ThrowLiteralConversionError(value),
    };

    public static string Format(DateTimeOffset value) => value.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", CultureInfo.InvariantCulture);
}

/// <summary>GitLab's <c>BigInt</c> scalar: a 64-bit integer serialized as a string.</summary>
internal sealed class BigIntGraphType : ScalarGraphType
{
    public BigIntGraphType()
    {
        Name = "BigInt";
        Description = "Represents non-fractional signed whole numeric values. Since the value may exceed the size of a 32-bit integer, it's encoded as a string.";
    }

    public override object? Serialize(object? value) => value switch
    {
        null => null,
        long l => l.ToString(CultureInfo.InvariantCulture),
        int i => i.ToString(CultureInfo.InvariantCulture),
        _ => ThrowSerializationError(value),
    };

    public override object? ParseValue(object? value) => value switch
    {
        null => null,
        long l => l,
        int i => (long)i,
        string s when long.TryParse(s, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => l,
        _ => ThrowValueConversionError(value),
    };

    public override object? ParseLiteral(GraphQLValue value) => value switch
    {
        GraphQLNullValue => null,
        GraphQLStringValue s => ParseValue((string)s.Value),
        GraphQLIntValue i when long.TryParse(i.Value.Span, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var l) => l,
        _ => ThrowLiteralConversionError(value),
    };
}

/// <summary>
/// A GitLab global id scalar (<c>ClustersAgentID</c>, <c>ClustersAgentTokenID</c>): any string is accepted at parse time
/// and checked by the resolver, so that a malformed id ends up in the mutation's <c>errors</c> like other bad input.
/// </summary>
internal class GlobalIdGraphType : StringGraphType
{
    protected GlobalIdGraphType(string name, string type)
    {
        Name = name;
        Description = $"A global identifier of a {type}, e.g. \"gid://gitlab/{type}/1\".";
    }
}

/// <summary><c>ClustersAgentID</c>: <c>gid://gitlab/Clusters::Agent/&lt;id&gt;</c>.</summary>
internal sealed class ClustersAgentIdGraphType() : GlobalIdGraphType("ClustersAgentID", Services.GlobalId.AgentType);

/// <summary><c>ClustersAgentTokenID</c>: <c>gid://gitlab/Clusters::AgentToken/&lt;id&gt;</c>.</summary>
internal sealed class ClustersAgentTokenIdGraphType() : GlobalIdGraphType("ClustersAgentTokenID", Services.GlobalId.AgentTokenType);
