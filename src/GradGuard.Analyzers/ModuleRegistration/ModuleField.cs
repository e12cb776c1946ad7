using System.Runtime.CompilerServices;
using GradGuard.Analyzers.NetworkModel;
using Microsoft.CodeAnalysis;

namespace GradGuard.Analyzers.ModuleRegistration
{
    internal enum ModuleFieldKind
    {
        /// <summary>A field holding a module, which <c>RegisterComponents()</c> registers.</summary>
        Module,

        /// <summary>A field holding a <c>Parameter</c>, which <c>RegisterComponents()</c> registers.</summary>
        Parameter,

        /// <summary>A <c>List&lt;&gt;</c>, array or <c>Dictionary&lt;,&gt;</c> of modules or parameters, which it does not.</summary>
        Collection,
    }

    /// <summary>A field of a module class (an auto-property's backing field goes by the property) that holds layers or weights.</summary>
    internal sealed class ModuleField
    {
        private ModuleField(string name, ModuleFieldKind kind, ITypeSymbol type, Location location, string? elements, string? registeringContainer)
        {
            Name = name;
            Kind = kind;
            Type = type;
            Location = location;
            Elements = elements;
            RegisteringContainer = registeringContainer;
        }

        public string Name { get; }

        public ModuleFieldKind Kind { get; }

        public ITypeSymbol Type { get; }

        public Location Location { get; }

        /// <summary>For a collection, "modules" or "parameters".</summary>
        public string? Elements { get; }

        /// <summary>For a collection, the TorchSharp container that would register it (<c>ModuleList&lt;Linear&gt;</c>...); null when there is none.</summary>
        public string? RegisteringContainer { get; }

        [MethodImpl(HotPaths.Optimized)]
        public static ModuleField? From(IFieldSymbol field, TorchSymbols torch)
        {
            var name = field.AssociatedSymbol?.Name ?? field.Name;
            var location = (field.AssociatedSymbol ?? field).Locations[0];
            if (torch.IsModuleType(field.Type))
            {
                return new ModuleField(name, ModuleFieldKind.Module, field.Type, location, null, null);
            }

            if (torch.IsParameter(field.Type))
            {
                return new ModuleField(name, ModuleFieldKind.Parameter, field.Type, location, null, null);
            }

            var (element, keyedByString, isDictionary) = CollectionShape(field.Type);
            if (element is null)
            {
                return null;
            }

            var holdsModules = torch.IsModuleType(element);
            if (!holdsModules && !torch.IsParameter(element))
            {
                return null;
            }

            var elementName = element.ToDisplayString(SymbolDisplayFormat.MinimallyQualifiedFormat);
            var container = (isDictionary, keyedByString, holdsModules) switch
            {
                (false, _, true) => $"ModuleList<{elementName}>",
                (false, _, false) => "ParameterList",
                (true, true, true) => $"ModuleDict<{elementName}>",
                (true, true, false) => "ParameterDict",
                _ => null,
            };
            return new ModuleField(name, ModuleFieldKind.Collection, field.Type, location, holdsModules ? "modules" : "parameters", container);
        }

        /// <summary>
        /// Whether <see cref="From"/> may make the field a <see cref="ModuleFieldKind.Collection"/>: its type is an array, list or
        /// dictionary of modules or parameters. Asks nothing of the type's base types unless it is one of those shapes.
        /// </summary>
        public static bool MayBeCollection(IFieldSymbol field, TorchSymbols torch) =>
            CollectionShape(field.Type).Element is { } element && (torch.IsModuleType(element) || torch.IsParameter(element));

        /// <summary>The element type of a one-dimensional array, a <c>List&lt;T&gt;</c> or a <c>Dictionary&lt;TKey, T&gt;</c>.</summary>
        private static (ITypeSymbol? Element, bool KeyedByString, bool IsDictionary) CollectionShape(ITypeSymbol type) => type switch
        {
            IArrayTypeSymbol { Rank: 1 } array => (array.ElementType, false, false),
            INamedTypeSymbol { Name: "List", TypeArguments.Length: 1 } list when IsSystemCollectionsGeneric(list) => (list.TypeArguments[0], false, false),
            INamedTypeSymbol { Name: "Dictionary", TypeArguments.Length: 2 } dictionary when IsSystemCollectionsGeneric(dictionary) =>
                (dictionary.TypeArguments[1], dictionary.TypeArguments[0].SpecialType == SpecialType.System_String, true),
            _ => (null, false, false),
        };

        private static bool IsSystemCollectionsGeneric(INamedTypeSymbol type) =>
            type.ContainingNamespace is { Name: "Generic", ContainingNamespace: { Name: "Collections", ContainingNamespace: { Name: "System", ContainingNamespace.IsGlobalNamespace: true } } };
    }
}
