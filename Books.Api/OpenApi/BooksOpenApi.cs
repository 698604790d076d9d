using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using Books.Api.Books;
using Books.Api.Security;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.OpenApi;
using Microsoft.OpenApi;

namespace Books.Api.OpenApi;

/// <summary>
/// The published contract (<c>/openapi/v1.json</c>): what the generator cannot see for itself. Who may
/// write, the headers, the examples, and every field rule as schema keywords, read from the constants
/// <see cref="BookInput"/>, <see cref="BookListing"/> and <see cref="Isbn"/> enforce, so the document
/// and the validator cannot drift.
/// </summary>
public static class BooksOpenApi
{
    public const string SecuritySchemeName = "bearer";
    public const string ObjectIdPattern = "^[0-9a-fA-F]{24}$";
    private const string NotBlankPattern = @"\S";
    private const string ProblemMediaType = "application/problem+json";
    private const string LocalDevelopmentServer = "http://localhost:5180";

    private static readonly JsonSerializerOptions s_json = new(JsonSerializerOptions.Web);

    /// <summary>Registers the document with its transformers.</summary>
    public static IServiceCollection AddBooksOpenApi(this IServiceCollection services) =>
        services.AddOpenApi(options =>
        {
            options.AddDocumentTransformer(DescribeDocument);
            options.AddOperationTransformer(DescribeOperation);
            options.AddSchemaTransformer(DescribeSchema);
        });

    private static Task DescribeDocument(OpenApiDocument document, OpenApiDocumentTransformerContext context, CancellationToken cancellationToken)
    {
        document.Info = new OpenApiInfo
        {
            Title = "Books API",
            Version = "v1",
            Description =
                "A catalogue of books on MongoDB. Reads are anonymous; writes need a JWT bearer token with the " +
                $"`{BooksSecurity.WriteScope}` scope and are limited per caller. Every error is an RFC 9457 problem " +
                "(`application/problem+json`). Updates and deletes take `If-Match` with the `ETag` of a read, and " +
                "lists are paged with an opaque keyset cursor.",
            Contact = new OpenApiContact { Name = "The Books team" },
            License = new OpenApiLicense { Name = "MIT", Identifier = "MIT" },
        };

        // At run time the server this document was fetched from, as a relative URL: the framework would write the
        // request's own Host header here, whatever a client sent (OWASP API8). At build time, where the AppHost runs books-api.
        document.Servers = document.Servers is { Count: > 0 }
            ? [new OpenApiServer { Url = "/", Description = "This server." }]
            : [new OpenApiServer { Url = LocalDevelopmentServer, Description = "books-api run by the AppHost (dotnet run --project Books.AppHost)." }];

        document.Tags = new HashSet<OpenApiTag>
        {
            new() { Name = "Books", Description = "The catalogue: list, read, add, replace, change and delete books." },
            new() { Name = "Admin", Description = "Operator tasks, such as loading the shipped sample books." },
        };

        document.Components ??= new OpenApiComponents();
        document.Components.SecuritySchemes ??= new Dictionary<string, IOpenApiSecurityScheme>();
        document.Components.SecuritySchemes[SecuritySchemeName] = new OpenApiSecurityScheme
        {
            Type = SecuritySchemeType.Http,
            Scheme = "bearer",
            BearerFormat = "JWT",
            Description =
                $"A JWT whose `scope` (or `scp`) claim includes `{BooksSecurity.WriteScope}` (`{BooksSecurity.AdminScope}` for the admin operations), from the identity provider the " +
                "deployment trusts; in development, from the Aspire dashboard's \"Issue a development token\" command.",
        };
        return Task.CompletedTask;
    }

    private static Task DescribeOperation(OpenApiOperation operation, OpenApiOperationTransformerContext context, CancellationToken cancellationToken)
    {
        var metadata = context.Description.ActionDescriptor.EndpointMetadata;
        if (metadata.OfType<IAuthorizeData>().Select(a => BooksSecurity.ScopeOf(a.Policy)).OfType<string>().FirstOrDefault() is { } scope)
        {
            operation.Security =
            [
                new OpenApiSecurityRequirement { [new OpenApiSecuritySchemeReference(SecuritySchemeName, context.Document)] = [scope] },
            ];
        }
        else
        {
            operation.Security = [new OpenApiSecurityRequirement()]; // anonymous: an empty requirement
        }

        DescribeParameters(operation);
        if (Examples.RequestBodies.TryGetValue(operation.OperationId ?? "", out var body))
        {
            foreach (var content in operation.RequestBody?.Content?.Values ?? [])
            {
                content.Example = body.DeepClone();
            }
        }

        foreach (var (status, response) in operation.Responses ?? [])
        {
            if (response is OpenApiResponse concrete)
            {
                DescribeResponse(operation.OperationId, status, concrete);
            }
        }

        return Task.CompletedTask;
    }

    private static void DescribeParameters(OpenApiOperation operation)
    {
        foreach (var parameter in (operation.Parameters ?? []).OfType<OpenApiParameter>())
        {
            if (parameter.Schema is not OpenApiSchema schema)
            {
                continue;
            }

            switch (parameter.In, parameter.Name)
            {
                case (ParameterLocation.Path, "id"):
                    schema.Pattern = ObjectIdPattern;
                    parameter.Example = Examples.BookId;
                    break;
                case (ParameterLocation.Path, "isbn"):
                    schema.Pattern = Isbn.Pattern;
                    parameter.Example = Examples.Request.Isbn;
                    break;
                case (ParameterLocation.Query, "sort"):
                    schema.Enum = [.. BookSort.Names.Select(name => (JsonNode)name)];
                    schema.Default = BookSort.Default.Name;
                    break;
                case (ParameterLocation.Query, "limit"):
                    (schema.Minimum, schema.Maximum, schema.Default) = ("1", Number(BookListing.MaxPageSize), BookListing.DefaultPageSize);
                    break;
                case (ParameterLocation.Query, "author" or "tag" or "q"):
                    schema.MaxLength = BookListing.MaxFilterLength;
                    break;
            }
        }

        var method = operation.OperationId;
        if (method is nameof(BooksApi.ReplaceBook) or nameof(BooksApi.PatchBook) or nameof(BooksApi.DeleteBook))
        {
            AddHeaderParameter(operation, "If-Match",
                "Only if the book is still at one of these versions: the ETag of an earlier read (or *). Otherwise 412, and nothing changes.");
        }
        else if (method is nameof(BooksApi.GetBook))
        {
            AddHeaderParameter(operation, "If-None-Match", "Answer 304 with no body if the book is still at one of these versions.");
        }
    }

    private static void AddHeaderParameter(OpenApiOperation operation, string name, string description)
    {
        operation.Parameters ??= [];
        operation.Parameters.Add(new OpenApiParameter
        {
            Name = name,
            In = ParameterLocation.Header,
            Description = description,
            Schema = new OpenApiSchema { Type = JsonSchemaType.String },
            Example = "\"1\"",
        });
    }

    private static void DescribeResponse(string? operationId, string status, OpenApiResponse response)
    {
        var bookOperation = operationId is nameof(BooksApi.GetBook) or nameof(BooksApi.GetBookByIsbn)
            or nameof(BooksApi.CreateBook) or nameof(BooksApi.ReplaceBook) or nameof(BooksApi.PatchBook);
        response.Headers ??= new Dictionary<string, IOpenApiHeader>();
        switch (status)
        {
            case "200" or "201" or "304" when bookOperation:
                response.Headers["ETag"] = Header("The book's version as a strong entity tag, for If-Match and If-None-Match.", "\"1\"");
                break;
            case "429" or "503":
                response.Headers["Retry-After"] = Header("Seconds to wait before retrying.", "5", JsonSchemaType.Integer);
                break;
        }

        if (status == "201")
        {
            response.Headers["Location"] = Header("The new book's address.", $"/api/books/{Examples.BookId}");
        }

        var readOperation = operationId is nameof(BooksApi.ListBooks) or nameof(BooksApi.GetBook) or nameof(BooksApi.GetBookByIsbn);
        if (response.Content?.TryGetValue(ProblemMediaType, out var problem) == true
            && (readOperation && Examples.ReadProblems.TryGetValue(status, out var example) || Examples.Problems.TryGetValue(status, out example)))
        {
            problem.Example = example.DeepClone();
        }
        else if (response.Content?.TryGetValue("application/json", out var json) == true && status is "200" or "201")
        {
            json.Example = (bookOperation ? Examples.ResponseJson
                : operationId == nameof(BooksApi.ListBooks) ? Examples.PageJson
                : operationId == nameof(BooksAdminApi.SeedSampleBooks) ? Examples.SeedJson
                : null)?.DeepClone();
        }

        if (response.Headers.Count == 0)
        {
            response.Headers = null;
        }
    }

    private static OpenApiHeader Header(string description, string example, JsonSchemaType type = JsonSchemaType.String) => new()
    {
        Description = description,
        Required = true, // the server always sends it with this status
        Schema = new OpenApiSchema { Type = type },
        Example = type == JsonSchemaType.Integer ? int.Parse(example, CultureInfo.InvariantCulture) : example,
    };

    private static Task DescribeSchema(OpenApiSchema schema, OpenApiSchemaTransformerContext context, CancellationToken cancellationToken)
    {
        var type = context.JsonTypeInfo.Type;
        if (type == typeof(BookRequest) || type == typeof(BookPatchRequest))
        {
            DescribeBookFields(schema, patch: type == typeof(BookPatchRequest));
        }
        else if (type == typeof(BookResponse))
        {
            Property(schema, "id").Pattern = ObjectIdPattern;
            Property(schema, "isbn").Pattern = Isbn.Isbn13Pattern;
            Property(schema, "version").Minimum = "1";
        }
        else if (type == typeof(Microsoft.AspNetCore.Mvc.ProblemDetails) || type == typeof(HttpValidationProblemDetails))
        {
            // The server always sets these three (RFC 9457 makes them optional), and the trace of the request.
            schema.Required = new HashSet<string> { "type", "title", "status" };
            foreach (var name in schema.Required)
            {
                Property(schema, name).Type &= ~JsonSchemaType.Null;
            }

            schema.Properties!["traceId"] = new OpenApiSchema
            {
                Type = JsonSchemaType.String,
                Description = "The W3C trace context of the request, to find it in traces and logs.",
            };
        }

        return Task.CompletedTask;
    }

    /// <summary>
    /// A book's field rules as schema keywords. Required fields are never null; optional ones may be null
    /// (or, in a merge patch, null to remove them). Text is trimmed and blank counts as missing, so the
    /// published lengths are those of the trimmed text.
    /// </summary>
    private static void DescribeBookFields(OpenApiSchema schema, bool patch)
    {
        schema.Description =
            "Text is trimmed, and blank counts as missing. Control characters (but line breaks in summary), unpaired " +
            "surrogates and invisible formatting characters are refused. Server-owned fields (id, createdAt, updatedAt, " +
            "version) and unknown fields are refused." + (patch ? " Fields left out stay as they are; optional fields given as null are removed." : "");
        foreach (var (name, description) in s_fieldDescriptions)
        {
            Property(schema, name).Description = description;
        }

        var isbn = Property(schema, "isbn");
        isbn.Type = JsonSchemaType.String;
        isbn.Pattern = Isbn.Pattern;

        RequiredText(Property(schema, "title"), BookInput.MaxTitleLength);

        var authors = Property(schema, "authors");
        authors.Type = JsonSchemaType.Array;
        (authors.MinItems, authors.MaxItems) = (1, BookInput.MaxAuthors);
        RequiredText(Items(authors), BookInput.MaxAuthorLength);

        var year = Property(schema, "publishedYear");
        year.Minimum = Number(BookInput.MinYear);
        year.Description = $"From {BookInput.MinYear} to next year (the upper bound moves each January, so it is checked but not published as a keyword).";

        Property(schema, "publisher").MaxLength = BookInput.MaxPublisherLength;

        var language = Property(schema, "language");
        (language.MaxLength, language.Pattern) = (BookInput.MaxLanguageLength, BookInput.LanguageTagPattern);

        var pageCount = Property(schema, "pageCount");
        (pageCount.Minimum, pageCount.Maximum) = ("1", Number(BookInput.MaxPageCount));

        var tags = Property(schema, "tags");
        tags.MaxItems = BookInput.MaxTags;
        RequiredText(Items(tags), BookInput.MaxTagLength);

        Property(schema, "summary").MaxLength = BookInput.MaxSummaryLength;

        if (patch)
        {
            schema.Required = null;
            schema.MinProperties = 1;
        }
    }

    private static readonly Dictionary<string, string> s_fieldDescriptions = new()
    {
        ["isbn"] = "ISBN-10 or ISBN-13, hyphens and spaces allowed, with a valid check digit. Stored and returned as ISBN-13 digits; unique.",
        ["title"] = "The title.",
        ["authors"] = "Author names, in credit order.",
        ["publisher"] = "The publisher.",
        ["language"] = "A BCP 47 language tag, such as en or pt-BR; returned in conventional case.",
        ["pageCount"] = "Number of pages.",
        ["tags"] = "Free-form tags; stored lower-case without duplicates.",
        ["summary"] = "A summary; line breaks are allowed.",
    };

    private static void RequiredText(OpenApiSchema text, int maxLength)
    {
        text.Type = JsonSchemaType.String;
        (text.MinLength, text.MaxLength, text.Pattern) = (1, maxLength, NotBlankPattern);
    }

    private static OpenApiSchema Property(OpenApiSchema schema, string name) =>
        schema.Properties?.TryGetValue(name, out var property) == true && property is OpenApiSchema concrete
            ? concrete
            : throw new InvalidOperationException($"The schema has no property '{name}' to describe.");

    private static OpenApiSchema Items(OpenApiSchema array) =>
        array.Items as OpenApiSchema ?? throw new InvalidOperationException("The array schema has no items to describe.");

    private static string Number(int value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>The examples the document shows: a real book from the shipped sample set, and a problem per status.</summary>
    private static class Examples
    {
        public const string BookId = "6650f1e2a3b4c5d6e7f80912";

        public static readonly BookRequest Request = BookSamples.Load()[0];

        public static readonly JsonNode RequestJson = JsonSerializer.SerializeToNode(Request, s_json)!;

        public static readonly JsonNode PatchJson = new JsonObject { ["publisher"] = "MIT Press", ["pageCount"] = 1312 };

        public static readonly JsonNode ResponseJson = JsonSerializer.SerializeToNode(new BookResponse(
            BookId, Request.Isbn!, Request.Title!, [.. Request.Authors!.Select(a => a!)], Request.PublishedYear, Request.Publisher,
            Request.Language, Request.PageCount, [.. (Request.Tags ?? []).Select(t => t!)], Request.Summary,
            new DateTimeOffset(2026, 11, 1, 9, 30, 0, TimeSpan.Zero), new DateTimeOffset(2026, 11, 1, 9, 30, 0, TimeSpan.Zero), 1), s_json)!;

        public static readonly JsonNode PageJson = new JsonObject { ["items"] = new JsonArray(ResponseJson.DeepClone()), ["nextCursor"] = null };

        public static readonly JsonNode SeedJson = new JsonObject { ["inserted"] = 126, ["alreadyPresent"] = 0 };

        public static readonly Dictionary<string, JsonNode> RequestBodies = new()
        {
            [nameof(BooksApi.CreateBook)] = RequestJson,
            [nameof(BooksApi.ReplaceBook)] = RequestJson,
            [nameof(BooksApi.PatchBook)] = PatchJson,
        };

        private static readonly Dictionary<int, string> s_sections = new()
        {
            [400] = "15.5.1", [401] = "15.5.2", [403] = "15.5.4", [404] = "15.5.5", [409] = "15.5.10", [412] = "15.5.13",
            [413] = "15.5.14", [415] = "15.5.16", [429] = "6585#section-4", [503] = "15.6.4",
        };

        // Declared after s_sections, which they read. What a read answers where it differs from a write.
        public static readonly Dictionary<string, JsonNode> ReadProblems = new()
        {
            ["429"] = Problem(429, "Too many reads", $"At most {BooksSecurity.DefaultReadsPerWindow} reads per {BooksSecurity.DefaultWindowSeconds} s from one address; retry after the Retry-After delay."),
        };

        public static readonly Dictionary<string, JsonNode> Problems = new()
        {
            ["400"] = Problem(400, "One or more validation errors occurred.", null, new JsonObject
            {
                ["title"] = new JsonArray("'title' is required."),
                ["authors[0]"] = new JsonArray($"'authors[0]' is at most {BookInput.MaxAuthorLength} characters long (214 given)."),
            }),
            ["401"] = Problem(401, "Unauthorized", "Writes need a bearer token (Authorization: Bearer ...) that this API accepts."),
            ["403"] = Problem(403, "Forbidden", $"The bearer token lacks the scope this operation needs ({BooksSecurity.WriteScope}; {BooksSecurity.AdminScope} for the admin operations)."),
            ["404"] = Problem(404, "Book not found", $"No book has the id '{BookId}'."),
            ["409"] = Problem(409, "Duplicate ISBN", $"Another book already has the ISBN {Request.Isbn}."),
            ["412"] = Problem(412, "The book has changed",
                $"If-Match does not name the current version of book '{BookId}' (its ETag is now \"2\"). Read it again, then retry."),
            ["413"] = Problem(413, "Payload Too Large", $"The body is larger than the {BooksApi.MaxBodyBytes} bytes this API accepts."),
            ["415"] = Problem(415, "Unsupported Media Type", "Send the body as JSON, with Content-Type: application/json (application/merge-patch+json for PATCH)."),
            ["429"] = Problem(429, "Too many writes", "At most 100 writes per 10 s per caller; retry after the Retry-After delay."),
            ["503"] = Problem(503, "Database unavailable", "The book store cannot reach its database right now; retry shortly."),
        };

        private static JsonObject Problem(int status, string title, string? detail, JsonObject? errors = null)
        {
            var section = s_sections[status];
            var problem = new JsonObject
            {
                ["type"] = section.Contains('#') ? $"https://tools.ietf.org/html/rfc{section}" : $"https://tools.ietf.org/html/rfc9110#section-{section}",
                ["title"] = title,
                ["status"] = status,
            };
            if (detail is not null)
            {
                problem["detail"] = detail;
            }

            if (errors is not null)
            {
                problem["errors"] = errors;
            }

            problem["traceId"] = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01";
            return problem;
        }
    }
}
