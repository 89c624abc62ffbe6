namespace Gitlab.Agent.Testing.Semantics;

/// <summary>
/// A patch could not be applied. The message is the patch library's text (the real apiserver puts it in the
/// Status); <see cref="StatusCode"/> is the HTTP code the real apiserver answers: 422 (Invalid) when a
/// JSON patch operation fails, 400 (BadRequest) for malformed patches and invalid directives.
/// </summary>
internal sealed class PatchException(string message) : Exception(message)
{
    /// <summary>422 for a failed operation, 400 for a malformed patch.</summary>
    public int StatusCode { get; init; } = 422;

    /// <summary>Creates an exception the server should answer with 400 BadRequest.</summary>
    public static PatchException BadRequest(string message) => new(message) { StatusCode = 400 };
}
