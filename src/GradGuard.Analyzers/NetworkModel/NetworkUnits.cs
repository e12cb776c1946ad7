using System;
using System.Collections.Generic;
using System.Collections.Immutable;
using System.Linq;
using System.Threading;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;
using Microsoft.CodeAnalysis.Text;

namespace GradGuard.Analyzers.NetworkModel
{
    /// <summary>
    /// A piece of code the interpreter can start from: a custom module class (built with its constructor's
    /// defaults), or a member outside module classes that builds, instantiates or initialises networks.
    /// </summary>
    internal sealed class NetworkUnit
    {
        public NetworkUnit(ISymbol symbol, SyntaxNode? declaration)
        {
            Symbol = symbol;
            Declaration = declaration;
        }

        /// <summary>The class, method, constructor, field or property; the entry point for top-level statements.</summary>
        public ISymbol Symbol { get; }

        /// <summary>The member's declaration, whose operation is run; null for a class.</summary>
        public SyntaxNode? Declaration { get; }
    }

    /// <summary>What running a unit found: its networks, and every class and method it reached.</summary>
    internal sealed class UnitInterpretation
    {
        public UnitInterpretation(NetworkUnit unit, ImmutableArray<Network> networks, IReadOnlyCollection<ISymbol> reached)
        {
            Unit = unit;
            Networks = networks;
            Reached = reached;
        }

        public NetworkUnit Unit { get; }

        public ImmutableArray<Network> Networks { get; }

        public IReadOnlyCollection<ISymbol> Reached { get; }
    }

    /// <summary>
    /// Finds the units of a compilation from its text, without binding anything: members whose text mentions
    /// <c>Sequential</c>, an init call or <c>new</c> of a module class, and every module class, ordered so that code
    /// that uses other units tends to run first (members, then classes no other class instantiates, then blocks).
    /// </summary>
    internal static class NetworkUnits
    {
        /// <summary>Words whose mention makes a member worth running: networks built, initialised or taken apart there.</summary>
        private static readonly string[] Mentions =
        {
            "Sequential", "ModuleList", ".apply(", "init.", "kaiming_", "xavier_", "glorot_", "normal_(", "uniform_(", "constant_(", "orthogonal_(",
            "modules()", "parameters()", "new(",
        };

        public static List<NetworkUnit> Find(Compilation compilation, TorchSymbols torch, OperationBodies bodies, CancellationToken cancellationToken)
        {
            var moduleClasses = new List<INamedTypeSymbol>();
            AddModuleClasses(compilation.Assembly.GlobalNamespace, torch, moduleClasses);
            var moduleNames = new HashSet<string>(moduleClasses.Select(c => c.Name), StringComparer.Ordinal);
            var moduleDeclarations = ModuleClassDeclarations(moduleClasses, cancellationToken);
            var members = new List<NetworkUnit>();
            var instantiatedByBlocks = new HashSet<string>(StringComparer.Ordinal);
            foreach (var tree in compilation.SyntaxTrees)
            {
                var text = SourceTexts.Of(tree, cancellationToken);
                var mentionsNew = moduleNames.Count > 0 && text.IndexOf("new", StringComparison.Ordinal) >= 0;
                if (!mentionsNew && !MentionsAny(text, new TextSpan(0, text.Length)))
                {
                    continue;
                }

                if (tree.GetRoot(cancellationToken) is not CompilationUnitSyntax root)
                {
                    continue;
                }

                moduleDeclarations.TryGetValue(tree, out var moduleClassStarts);
                new FileMembers(text, moduleClassStarts, moduleNames, members, instantiatedByBlocks, bodies, cancellationToken).Read(root);
            }

            return members
                .Concat(moduleClasses.Where(c => !instantiatedByBlocks.Contains(c.Name) && IsStandalone(c)).Select(c => new NetworkUnit(c, null)))
                .Concat(moduleClasses.Where(c => instantiatedByBlocks.Contains(c.Name) && IsStandalone(c)).Select(c => new NetworkUnit(c, null)))
                .ToList();
        }

        /// <summary>
        /// Where the declarations of the module classes start in each file, every part of a partial one: read from the
        /// symbols found, rather than asking the semantic model what each class declaration of the compilation declares.
        /// By position, not by node: a tree may hand out a new node for the same declaration once the old one is collected.
        /// </summary>
        private static Dictionary<SyntaxTree, HashSet<int>> ModuleClassDeclarations(List<INamedTypeSymbol> moduleClasses, CancellationToken cancellationToken)
        {
            var declarations = new Dictionary<SyntaxTree, HashSet<int>>();
            foreach (var moduleClass in moduleClasses)
            {
                foreach (var reference in moduleClass.DeclaringSyntaxReferences)
                {
                    if (!declarations.TryGetValue(reference.SyntaxTree, out var starts))
                    {
                        declarations[reference.SyntaxTree] = starts = new HashSet<int>();
                    }

                    starts.Add(reference.GetSyntax(cancellationToken).SpanStart);
                }
            }

            return declarations;
        }

        /// <summary>A class that can be built on its own: not abstract, not generic.</summary>
        private static bool IsStandalone(INamedTypeSymbol type) => !type.IsAbstract && !type.IsGenericType;

        /// <summary>
        /// The module classes declared in <paramref name="ns"/>, outer before nested, in declaration order. Added to
        /// one list rather than yielded: nested iterators pass every class up through each namespace around it, which in
        /// a compilation of hundreds of namespaces cost more than the symbols' own walk.
        /// </summary>
        private static void AddModuleClasses(INamespaceSymbol ns, TorchSymbols torch, List<INamedTypeSymbol> found)
        {
            foreach (var member in ns.GetMembers())
            {
                if (member is INamespaceSymbol inner)
                {
                    AddModuleClasses(inner, torch, found);
                }
                else if (member is INamedTypeSymbol type)
                {
                    AddModuleClasses(type, torch, found);
                }
            }
        }

        // A type's nested types alone: its GetMembers would wrap every field and method for the public API to skip them.
        private static void AddModuleClasses(INamedTypeSymbol type, TorchSymbols torch, List<INamedTypeSymbol> found)
        {
            if (type.DeclaringSyntaxReferences.IsEmpty)
            {
                return;
            }

            if (torch.IsCustomModule(type))
            {
                found.Add(type);
            }

            foreach (var nested in type.GetTypeMembers())
            {
                AddModuleClasses(nested, torch, found);
            }
        }

        /// <summary>
        /// Reads a file's member declarations with code, and its top-level statements (once), without entering bodies: the
        /// members of the file, its namespaces and its types, in the order they are written, nested types' where they
        /// stand. A member of a module class only tells which blocks the class builds; any other member that mentions
        /// networks or module classes is a unit.
        /// </summary>
        /// <remarks>
        /// Recursion over the member lists rather than DescendantNodes: its iterators and child enumeration, over every
        /// file of the compilation, cost as much as the rest of finding the units. Whether a class is a module class is
        /// decided once, as the walk enters it, rather than by looking up each member's class.
        /// </remarks>
        private sealed class FileMembers
        {
            private readonly string text;
            private readonly HashSet<int>? moduleClassStarts;
            private readonly HashSet<string> moduleNames;
            private readonly List<NetworkUnit> units;
            private readonly HashSet<string> instantiatedByBlocks;
            private readonly OperationBodies bodies;
            private readonly CancellationToken cancellationToken;
            private bool topLevel;

            public FileMembers(string text, HashSet<int>? moduleClassStarts, HashSet<string> moduleNames, List<NetworkUnit> units, HashSet<string> instantiatedByBlocks, OperationBodies bodies, CancellationToken cancellationToken)
            {
                this.text = text;
                this.moduleClassStarts = moduleClassStarts;
                this.moduleNames = moduleNames;
                this.units = units;
                this.instantiatedByBlocks = instantiatedByBlocks;
                this.bodies = bodies;
                this.cancellationToken = cancellationToken;
            }

            public void Read(CompilationUnitSyntax root) => Read(root, root.Members, moduleClass: null);

            /// <param name="moduleClass">The class around the members, when it is a module class; null otherwise.</param>
            private void Read(CompilationUnitSyntax root, SyntaxList<MemberDeclarationSyntax> members, ClassDeclarationSyntax? moduleClass)
            {
                foreach (var member in members)
                {
                    switch (member)
                    {
                        case GlobalStatementSyntax when !topLevel:
                            topLevel = true;
                            Add(root, moduleClass: null);
                            break;
                        case BaseNamespaceDeclarationSyntax ns:
                            Read(root, ns.Members, moduleClass);
                            break;
                        case ClassDeclarationSyntax type:
                            Read(root, type.Members, moduleClassStarts?.Contains(type.SpanStart) == true ? type : null);
                            break;
                        case TypeDeclarationSyntax type:
                            Read(root, type.Members, moduleClass);
                            break;
                        case BaseMethodDeclarationSyntax or BasePropertyDeclarationSyntax:
                            Add(member, moduleClass);
                            break;
                        case BaseFieldDeclarationSyntax field:
                            foreach (var variable in field.Declaration.Variables)
                            {
                                if (variable.Initializer is not null)
                                {
                                    Add(variable, moduleClass);
                                }
                            }

                            break;
                    }
                }
            }

            private void Add(SyntaxNode declaration, ClassDeclarationSyntax? moduleClass)
            {
                var span = declaration.Span;
                if (moduleClass is not null && !IsStatic(declaration))
                {
                    // Part of a module class, run whenever the class is built; the blocks it builds are used, not networks.
                    foreach (var created in CreatedModules(text, span, moduleNames))
                    {
                        if (created != moduleClass.Identifier.ValueText)
                        {
                            instantiatedByBlocks.Add(created);
                        }
                    }

                    return;
                }

                if ((MentionsAny(text, span) || CreatedModules(text, span, moduleNames).Any())
                    && UnitOf(declaration, bodies, cancellationToken) is { } unit)
                {
                    units.Add(unit);
                }
            }
        }

        private static bool IsStatic(SyntaxNode declaration)
        {
            var modifiers = declaration switch
            {
                MemberDeclarationSyntax member => member.Modifiers,
                VariableDeclaratorSyntax { Parent.Parent: BaseFieldDeclarationSyntax field } => field.Modifiers,
                _ => default,
            };
            return modifiers.Any(SyntaxKind.StaticKeyword) || modifiers.Any(SyntaxKind.ConstKeyword);
        }

        private static NetworkUnit? UnitOf(SyntaxNode declaration, OperationBodies bodies, CancellationToken cancellationToken)
        {
            var model = bodies.ModelOf(declaration.SyntaxTree);
            if (model is null)
            {
                return null;
            }

            switch (declaration)
            {
                case CompilationUnitSyntax:
                    return model.GetDeclaredSymbol((CompilationUnitSyntax)declaration, cancellationToken) is { } entryPoint ? new NetworkUnit(entryPoint, declaration) : null;
                case VariableDeclaratorSyntax variable when variable.Initializer is not null:
                    return model.GetDeclaredSymbol(variable, cancellationToken) is { } field ? new NetworkUnit(field, variable.Initializer) : null;
                case PropertyDeclarationSyntax { Initializer: { } initializer } property:
                    return model.GetDeclaredSymbol(property, cancellationToken) is { } withInitializer ? new NetworkUnit(withInitializer, initializer) : null;
                case BasePropertyDeclarationSyntax property:
                    return model.GetDeclaredSymbol(property, cancellationToken) is IPropertySymbol { GetMethod: { } getter } && GetterSyntax(property) is { } body
                        ? new NetworkUnit(getter, body)
                        : null;
                case BaseMethodDeclarationSyntax method:
                    return model.GetDeclaredSymbol(method, cancellationToken) is { } symbol ? new NetworkUnit(symbol, method) : null;
                default:
                    return null;
            }
        }

        private static SyntaxNode? GetterSyntax(BasePropertyDeclarationSyntax property) =>
            property is PropertyDeclarationSyntax { ExpressionBody: { } arrow } ? arrow
                : property.AccessorList?.Accessors.FirstOrDefault(a => a.Keyword.ValueText == "get" && (a.Body is not null || a.ExpressionBody is not null));

        // A loop, not Mentions.Any(lambda): the lambda would capture the text and span, a new closure for every member.
        private static bool MentionsAny(string text, TextSpan span)
        {
            foreach (var mention in Mentions)
            {
                if (text.IndexOf(mention, span.Start, span.Length, StringComparison.Ordinal) >= 0)
                {
                    return true;
                }
            }

            return false;
        }

        /// <summary>The module class names that follow a <c>new</c> in the span: <c>new Bottleneck(</c>, <c>new Models.UNet(</c>.</summary>
        private static IEnumerable<string> CreatedModules(string text, TextSpan span, HashSet<string> moduleNames)
        {
            var end = span.Start + span.Length;
            for (var at = text.IndexOf("new", span.Start, span.Length, StringComparison.Ordinal); at >= 0 && at < end; at = text.IndexOf("new", at + 3, Math.Max(0, end - at - 3), StringComparison.Ordinal))
            {
                if (at > 0 && SourceTexts.IsIdentifierPart(text[at - 1]))
                {
                    continue;
                }

                var position = at + 3;
                string? last = null;
                while (position < end)
                {
                    while (position < end && char.IsWhiteSpace(text[position]))
                    {
                        position++;
                    }

                    var start = position;
                    while (position < end && SourceTexts.IsIdentifierPart(text[position]))
                    {
                        position++;
                    }

                    if (position == start)
                    {
                        break;
                    }

                    last = text.Substring(start, position - start);
                    if (position < end && text[position] == '.')
                    {
                        position++;
                        continue;
                    }

                    break;
                }

                if (last is not null && moduleNames.Contains(last))
                {
                    yield return last;
                }
            }
        }
    }
}
